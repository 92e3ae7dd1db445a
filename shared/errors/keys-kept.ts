// A cheap proof that JSON.parse dropped no repeated key, so the text scan of repeated-keys.ts is
// needed only when the proof fails: it took ~0.7 µs of a one-customer /forecast and ~2.5 ms of a
// 1 MB batch; counting ':' and walking the parsed value takes about a third and two thirds of that.

/** How many times `ch` (one character) occurs in `text`. */
function occurrences(text: string, ch: string): number {
  let n = 0;
  for (let at = text.indexOf(ch); at !== -1; at = text.indexOf(ch, at + 1)) n++;
  return n;
}

/** The keys of every object in `value` plus the ':' characters in its strings (keys included). */
function keysAndColons(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [];
  const visit = (v: unknown) => {
    if (typeof v === "string") {
      if (v.includes(":")) n += occurrences(v, ":");
    } else if (typeof v === "object" && v !== null) stack.push(v);
  };
  visit(value);
  // Iterative: a body may nest 100,000 levels deep.
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const item of v) visit(item);
    else if (typeof v === "object" && v !== null) {
      for (const key in v) {
        n++;
        visit(key);
        visit((v as Record<string, unknown>)[key]);
      }
    }
  }
  return n;
}

/**
 * True when `value`, what JSON.parse made of `text`, kept every key the text holds; false when it
 * may not have (then scan the text). Every key in a JSON text is followed by one ':', and every
 * other ':' stands inside a string, written as itself unless as a \u escape. So, without \u
 * escapes, the text's ':' count is the parsed value's keys and string colons plus, for each entry
 * JSON.parse dropped for a repeated key, at least one (its own ':'): equal counts prove none was.
 */
export function keptEveryKey(text: string, value: unknown): boolean {
  if (text.includes("\\u")) return false;
  return occurrences(text, ":") === keysAndColons(value);
}
