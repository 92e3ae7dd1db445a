// Keys a JSON text repeats within one object. JSON.parse keeps the last of them without a word, so
// a policy naming an uplift's action twice (`"email": {…0.1}, "email": {…0.2}`) or holding two
// "rules" was stored with the first silently gone. Read from the text, which JSON.parse has
// already accepted: one pass, no recursion (a body may nest 100,000 levels deep).

interface ObjectFrame {
  /** The keys read so far: a list while short (a Set per object was half the time on a batch). */
  keys: string[];
  /** The same keys once there are many (a policy's uplift table), for lookups. */
  many: Set<string> | null;
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

/** Index just past the string that opens at `start` (a quote): a quote after an even run of backslashes. */
function stringEnd(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1) {
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/** The key a string token spells: most hold no escape and are their text. */
function keyOf(token: string): string {
  return token.includes("\\") ? (JSON.parse(token) as string) : token.slice(1, -1);
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
  // By char code, strings skipped by a search for their closing quote: every JSON body passes
  // here, a 1 MB batch among them.
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      i = readString(text, i, stack[stack.length - 1], stack, issues) - 1;
      continue;
    }
    const top = stack[stack.length - 1];
    if (ch === 0x7b) stack.push({ keys: [], many: null, key: null, expectKey: true });
    else if (ch === 0x5b) stack.push({ index: 0 });
    else if (ch === 0x7d || ch === 0x5d) stack.pop();
    else if (ch === 0x2c) {
      if (isObject(top)) top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return issues;
}

/** Reads the string opening at `start`; a key is recorded (and reported when repeated). Its end. */
function readString(
  text: string,
  start: number,
  top: Frame | undefined,
  stack: readonly Frame[],
  issues: RepeatedKey[],
): number {
  const end = stringEnd(text, start);
  if (!isObject(top) || !top.expectKey) return end;
  const key = keyOf(text.slice(start, end));
  top.key = key;
  top.expectKey = false;
  if (top.many ? top.many.has(key) : top.keys.includes(key)) {
    issues.push({
      path: pathOf(stack),
      message: `"${key}" appears twice in this object (JSON would keep only the last)`,
    });
    return end;
  }
  if (top.many) top.many.add(key);
  else {
    top.keys.push(key);
    if (top.keys.length === 16) top.many = new Set(top.keys);
  }
  return end;
}
