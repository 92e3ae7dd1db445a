// Start-up glue shared by the entry files: a bad configuration stops the process with one
// JSON line naming the variables, instead of a stack trace.
import { ConfigError } from "../config/parse-env.ts";

export function configOrExit<T>(parse: () => T, exit: (code: number) => never): T {
  try {
    return parse();
  } catch (err) {
    const line =
      err instanceof ConfigError
        ? { level: "error", msg: err.message, issues: err.issues }
        : { level: "error", msg: "start-up failed", error: String(err) };
    console.error(JSON.stringify({ time: new Date().toISOString(), ...line }));
    return exit(1);
  }
}
