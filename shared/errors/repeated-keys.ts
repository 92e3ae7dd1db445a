// Keys a JSON text repeats within one object. JSON.parse keeps the last of them without a word, so
// a policy naming an uplift's action twice (`"email": {…0.1}, "email": {…0.2}`) or holding two
// "rules" was stored with the first silently gone. Read from the text, which JSON.parse has
// already accepted: one pass, no recursion (a body may nest 100,000 levels deep).

interface ObjectFrame {
  keys: Set<string>;
  /** The key whose value is being read (null before the first). */
  key: string | null;
  expectKey: boolean;
}
type Frame = ObjectFrame | { index: number };

const isObject = (f: Frame | undefined): f is ObjectFrame => f !== undefined && "keys" in f;

/** Where the value being read sits: the keys and indexes of the frames above it. */
function pathOf(stack: readonly Frame[]): Array<string | number> {
  return stack.map((f) => (isObject(f) ? (f.key ?? "") : f.index));
}

/** Index just past the string that opens at `start` (a quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** A repeated key: its path (as zod's issues give one) and what is wrong. */
export interface RepeatedKey {
  path: Array<string | number>;
  message: string;
}

/** One issue per repeated key, at its path (the second and later occurrences), in text order. */
export function repeatedKeys(text: string): RepeatedKey[] {
  const issues: RepeatedKey[] = [];
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = stack[stack.length - 1];
    if (ch === "{") stack.push({ keys: new Set(), key: null, expectKey: true });
    else if (ch === "[") stack.push({ index: 0 });
    else if (ch === "}" || ch === "]") stack.pop();
    else if (ch === ",") {
      if (isObject(top)) top.expectKey = true;
      else if (top) top.index++;
    } else if (ch === '"') {
      const end = stringEnd(text, i);
      if (isObject(top) && top.expectKey) {
        const key = JSON.parse(text.slice(i, end)) as string;
        top.key = key;
        top.expectKey = false;
        if (top.keys.has(key)) {
          issues.push({
            path: pathOf(stack),
            message: `"${key}" appears twice in this object (JSON would keep only the last)`,
          });
        } else top.keys.add(key);
      }
      i = end - 1;
    }
  }
  return issues;
}
