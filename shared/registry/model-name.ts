// What a registered model may be called: it names the artifact store's prefix (models/NAME/…) and
// R2 keys, so no path separators, leading dots or control characters. A light module, so `ml train
// --register NAME` checks it before training instead of after it.

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const MODEL_NAME_RULE =
  "1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit";

export function isModelName(name: unknown): name is string {
  return typeof name === "string" && MODEL_NAME.test(name);
}
