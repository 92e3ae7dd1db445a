// Text PostgreSQL cannot store: NUL (text and jsonb refuse U+0000) and unpaired UTF-16 surrogates
// (no UTF-8 form). Requests carrying them are refused at validation with a 400 naming the field,
// so such a value never reaches a table (one would otherwise poison a whole batched write).

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

/** A value met while walking a parsed body: the key it stands under and its parent's entry. */
interface Visit {
  value: unknown;
  key: string | null;
  parent: Visit | null;
}

/** The path of a visited value (built only for a value at fault: copying each parent's path per
 * level cost the square of the depth, 25 s for a 200 KB body 100,000 arrays deep). */
function pathTo(visit: Visit): string[] {
  const path: string[] = [];
  for (let at: Visit | null = visit; at?.key != null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/** Every string (keys included) in a parsed JSON value that cannot be stored, with its path
 * (at most `limit`). */
export function findUnstorableText(
  value: unknown,
  limit = 20,
): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  const stack: Visit[] = [{ value, key: null, parent: null }];
  while (stack.length > 0 && issues.length < limit) {
    const visit = stack.pop() as Visit;
    const v = visit.value;
    if (typeof v === "string") {
      const problem = unstorableTextProblem(v);
      if (problem) issues.push({ path: pathTo(visit), message: problem });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i], key: String(i), parent: visit });
    } else if (v !== null && typeof v === "object") {
      for (const [key, child] of Object.entries(v)) {
        const entry = { value: child, key, parent: visit };
        const problem = unstorableTextProblem(key);
        if (problem) issues.push({ path: pathTo(entry), message: `the key ${problem}` });
        stack.push(entry);
      }
    }
  }
  return issues;
}
