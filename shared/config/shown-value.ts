// How a start-up error shows the value a variable was given: a secret (a key, secret, token or
// password variable) only by its length, any other value with a URL's password hidden, so the
// message naming a misconfiguration puts no credential in the logs.
const SECRET_NAME = /(KEY|KEYS|SECRET|TOKEN|PASSWORD)$/i;
const URL_PASSWORD = /(\/\/[^/@:\s]*):[^@/\s]*@/g;

/** `got "…"` for a message, without what must not be logged. */
export function shownValue(variable: string, raw: string): string {
  if (SECRET_NAME.test(variable)) return `got ${raw.length} characters, not shown`;
  return `got ${JSON.stringify(raw.replace(URL_PASSWORD, "$1:***@"))}`;
}
