// Finds the values of a parsed JSON body that a check objects to, each with its path, for a 400
// naming the field: the storable-text and overflowing-number checks share this one walk.

/** A value at fault: its path in the body and what is wrong with it. */
export interface BodyProblem {
  path: string[];
  message: string;
}

/** A value met while walking a parsed body: the key it stands under and its parent's entry. */
interface Visit {
  value: unknown;
  key: string | null;
  parent: Visit | null;
  /** The key is an object's (checked), not an array's index. */
  named?: boolean;
}

/** The path of a visited value (built only for a value at fault: copying each parent's path per
 * level cost the square of the depth, 25 s for a 200 KB body 100,000 arrays deep). */
function pathTo(visit: Visit): string[] {
  const path: string[] = [];
  for (let at: Visit | null = visit; at?.key != null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/** What a walk checks: every leaf value (not arrays or objects), and optionally every key. */
export interface BodyChecks {
  value(value: unknown): string | undefined;
  key?(key: string): string | undefined;
}

/**
 * The problems `checks` finds in `body`, with their paths (at most `limit`). A stack, not
 * recursion: a body may be nested 100,000 deep.
 */
export function findInBody(body: unknown, checks: BodyChecks, limit = 20): BodyProblem[] {
  const problems: BodyProblem[] = [];
  const stack: Visit[] = [{ value: body, key: null, parent: null }];
  while (stack.length > 0 && problems.length < limit) {
    const visit = stack.pop() as Visit;
    const keyProblem = visit.named && visit.key !== null ? checks.key?.(visit.key) : undefined;
    if (keyProblem) problems.push({ path: pathTo(visit), message: keyProblem });
    const v = visit.value;
    // Children pushed last first: problems come in the body's own order.
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i], key: String(i), parent: visit });
    } else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        stack.push({ value: child, key, parent: visit, named: true });
      }
    } else {
      const problem = checks.value(v);
      if (problem) problems.push({ path: pathTo(visit), message: problem });
    }
  }
  return problems.slice(0, limit);
}
