// Start-up glue shared by the entry files: a bad configuration stops the process with one
// JSON line naming the variables, instead of a stack trace.
import { ConfigError } from "../config/parse-env.ts";

/** Stops the process with one JSON error line (a log line's shape, not a stack trace). */
function exitWithLine(fields: Record<string, unknown>, exit: (code: number) => never): never {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", ...fields }));
  return exit(1);
}

export function configOrExit<T>(parse: () => T, exit: (code: number) => never): T {
  try {
    return parse();
  } catch (err) {
    const fields =
      err instanceof ConfigError
        ? { msg: err.message, issues: err.issues }
        : { msg: "start-up failed", error: String(err) };
    return exitWithLine(fields, exit);
  }
}

/** Whether `err` is the system refusing a listen because the port is taken (Bun, Node, Deno). */
export function isPortInUse(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, name } = err as { code?: unknown; name?: unknown };
  return code === "EADDRINUSE" || name === "AddrInUse";
}

/** The one line a service prints when its port is taken (`npm start`'s test looks for EADDRINUSE). */
export function portInUseLine(host: string, port: number, variable = "PORT"): string {
  return (
    `cannot listen on ${host}:${port}: address already in use (EADDRINUSE); stop the process ` +
    `holding it, or start on another port with ${variable}=…`
  );
}

/** Whether `err` is the system refusing an address this machine does not have (HOST). */
function isAddressNotHere(err: unknown): boolean {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  return code === "EADDRNOTAVAIL" || name === "AddrNotAvailable";
}

/**
 * A listen error handler: one JSON line and exit 1 when the port is taken or HOST is not an
 * address of this machine (it was a stack trace), else rethrown.
 */
export function onListenError(
  where: { host: string; port: number },
  exit: (code: number) => never,
): (err: unknown) => never {
  return (err) => {
    if (isAddressNotHere(err)) {
      const msg =
        `cannot listen on ${where.host}:${where.port}: ${where.host} is not an address of this ` +
        "machine (EADDRNOTAVAIL); set HOST to one of its addresses, 0.0.0.0 for every interface or 127.0.0.1";
      return exitWithLine({ msg }, exit);
    }
    if (!isPortInUse(err)) throw err;
    return exitWithLine({ msg: portInUseLine(where.host, where.port) }, exit);
  };
}

/**
 * Starts listening, or stops the process with one JSON line when the port is taken (instead of a
 * runtime's stack trace); any other failure is thrown as it was. (Node reports a taken port as
 * an "error" event of the server instead: pass onListenError to it.)
 */
export function listenOrExit<T>(
  listen: () => T,
  where: { host: string; port: number },
  exit: (code: number) => never,
): T {
  try {
    return listen();
  } catch (err) {
    return onListenError(where, exit)(err);
  }
}
