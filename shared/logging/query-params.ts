// A failed query's error as logged: drizzle's message (and so the stack) ends with the query's
// parameters, which hold customer ids, and for some queries whole decision rows.
const PARAMS_LINE = /\nparams: [\s\S]*$/;

/** Message and stack of `error` without its query's parameters (unchanged for other errors). */
export function withoutQueryParams(error: Error): { message: string; stack: string | undefined } {
  if (!("params" in error) || !error.message.startsWith("Failed query:")) {
    return { message: error.message, stack: error.stack };
  }
  const message = error.message.replace(PARAMS_LINE, "\nparams: (not logged)");
  // The stack repeats the message; keep only its frames (none when it cannot be told apart).
  const at = error.stack?.indexOf(error.message) ?? -1;
  const frames = at < 0 ? "" : (error.stack as string).slice(at + error.message.length);
  return { message, stack: `${error.name}: ${message}${frames}` };
}
