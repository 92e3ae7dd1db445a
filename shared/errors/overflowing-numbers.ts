// JSON numbers past a double's range (1e999, or 309 digits) parse to ±Infinity: found here, so the
// body's 400 names the field and the range. Every schema said "must be a number" of a number (a
// batch's budget written 1e999 for "no limit", where 1e308 is the documented one).

interface Visit {
  value: unknown;
  key: string | null;
  parent: Visit | null;
}

/**
 * Whether the text may hold such a number: a number with an exponent of three digits or more, or a run of 309
 * digits. Most bodies hold neither and are not walked. Two expressions: as one alternation they
 * took 23 ms on a 7 MB body of transactions, apart 1.8 ms (parsing it: 15 ms).
 */
export const mayOverflow = (text: string): boolean =>
  /[\d.][eE][+-]?\d{3}/.test(text) || /\d{309}/.test(text);

const pathTo = (visit: Visit): string[] => {
  const path: string[] = [];
  for (let v: Visit | null = visit; v?.key != null; v = v.parent) path.push(v.key);
  return path.reverse();
};

/** The paths of the infinite numbers in a parsed body (at most `limit`), with what to send. */
export function findOverflowingNumbers(
  value: unknown,
  limit = 20,
): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  const check = (child: unknown, key: string, parent: Visit) => {
    if (typeof child === "number") {
      if (!Number.isFinite(child)) issues.push(overflowIssue(child, { value: child, key, parent }));
    } else if (child !== null && typeof child === "object") {
      stack.push({ value: child, key, parent });
    }
  };
  // A stack, not recursion: a body may be nested 100,000 deep. Only containers are pushed.
  const stack: Visit[] = [];
  const root: Visit = { value, key: null, parent: null };
  if (typeof value === "number" && !Number.isFinite(value)) return [overflowIssue(value, root)];
  if (value !== null && typeof value === "object") stack.push(root);
  while (stack.length > 0 && issues.length < limit) {
    const visit = stack.pop() as Visit;
    const v = visit.value;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) check(v[i], String(i), visit);
    } else {
      const keys = Object.keys(v as object);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        check((v as Record<string, unknown>)[key], key, visit);
      }
    }
  }
  return issues.slice(0, limit);
}

function overflowIssue(n: number, visit: Visit): { path: string[]; message: string } {
  return {
    path: pathTo(visit),
    message: `is beyond the range of a number (about ±1.8e308) and reads as ${n}: send a finite value within the field's range`,
  };
}
