// Text PostgreSQL cannot store: NUL (text and jsonb refuse U+0000) and unpaired UTF-16 surrogates
// (no UTF-8 form). Requests carrying them are refused at validation with a 400 naming the field,
// so such a value never reaches a table (one would otherwise poison a whole batched write).
import { type BodyProblem, findInBody } from "./json-walk.ts";

// A NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableTextProblem(text: string): string | undefined {
  const match = UNSTORABLE.exec(text);
  if (!match) return undefined;
  const at = match.index;
  if (match[0] === "\u0000") return `contains a NUL character (\\u0000) at index ${at}; remove it`;
  const unit = match[0].charCodeAt(0).toString(16);
  return `contains an unpaired surrogate (\\u${unit}) at index ${at}; send well-formed Unicode`;
}

/** JSON text that may hold such characters: only escapes can produce them after decoding. */
export function mayHoldUnstorableText(jsonText: string): boolean {
  return /\\u(0000|d[89a-f])/i.test(jsonText);
}

/** Every string (keys included) in a parsed JSON value that cannot be stored, with its path
 * (at most `limit`). */
export function findUnstorableText(value: unknown, limit = 20): BodyProblem[] {
  return findInBody(
    value,
    {
      value: (v) => (typeof v === "string" ? unstorableTextProblem(v) : undefined),
      key: (key) => {
        const problem = unstorableTextProblem(key);
        return problem && `the key ${problem}`;
      },
    },
    limit,
  );
}
