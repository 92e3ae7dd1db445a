// The type error of an optional request field: for null it says what to send instead, since
// many APIs read null as "no value" and "must be a string" alone did not say ours do not.

/**
 * `z.string({ error: typeError("a string", "a campaign id string") })`: "must be a string" for
 * a wrong type; for null, "must be a campaign id string, or leave the field out (null is not
 * accepted)".
 */
export function typeError(type: string, instead: string = type) {
  return (issue: { input?: unknown }): string =>
    issue.input === null
      ? `must be ${instead}, or leave the field out (null is not accepted)`
      : `must be ${type}`;
}
