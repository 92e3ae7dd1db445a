// Fields of a body that its schema dropped: zod strips keys it does not know, so comparing what
// was sent with what was parsed finds them without a second, strict copy of the schema.

/** One unknown field, where it was sent (the shape of a validation issue). */
export interface UnknownField {
  path: (string | number)[];
  message: string;
}

/** The issue for key `key` of the object at `path`, which its schema does not know. */
export const unknownField = (path: (string | number)[], key: string): UnknownField => ({
  path: [...path, key],
  message: `unknown field "${key}"`,
});

/** A JSON object: not null, not an array. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Each key of `sent` (at any depth) that `parsed`, the schema's output for it, does not have. A
 * stored policy whose `rulez` was dropped kept no rules at all, and said nothing.
 */
export function unknownFields(
  sent: unknown,
  parsed: unknown,
  path: (string | number)[] = [],
): UnknownField[] {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    return sent.flatMap((item, i) => unknownFields(item, parsed[i], [...path, i]));
  }
  if (!isPlainObject(sent) || !isPlainObject(parsed)) return [];
  return Object.keys(sent).flatMap((key) =>
    Object.hasOwn(parsed, key)
      ? unknownFields(sent[key], parsed[key], [...path, key])
      : [unknownField(path, key)],
  );
}
