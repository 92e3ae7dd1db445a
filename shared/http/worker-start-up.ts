// Start-up glue for Workers: config comes from bindings on the first request, and a bad
// configuration answers 503 naming the variables (a worker has no process to exit).
import { type EnvRecord, stringEntries } from "../config/parse-env.ts";
import { AppError, errorResponse } from "../errors/app-error.ts";

export function configOrError<T>(
  parse: (env: EnvRecord) => T,
  bindings: Record<string, unknown>,
): T | Response {
  try {
    return parse(stringEntries(bindings));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: message }));
    return errorResponse(new AppError("unavailable", message));
  }
}
