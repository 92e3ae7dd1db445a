// `ml publish`: runs the forecast service's publish step (services/forecast/scripts/publish-model.ts)
// as a child process with the same arguments. The step belongs to the service (its bundle format
// and Workers bindings); ml sits upstream of the services and does not import them.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

const script = resolve(import.meta.dirname, "../../services/forecast/scripts/publish-model.ts");

/** The publish step's command-line arguments for the options `ml publish` parsed. */
export function publishArguments(
  name: string,
  version: string | undefined,
  o: {
    target?: string;
    local?: boolean | string;
    persistTo?: string;
    config?: string;
    erased?: string;
    follow?: boolean | string;
    interval?: string;
    withoutCustomers?: boolean | string;
  },
): string[] {
  return [
    name,
    ...(version !== undefined ? [version] : []),
    ...(o.target !== undefined ? ["--target", o.target] : []),
    ...(o.local ? ["--local"] : []),
    ...(o.persistTo ? ["--persist-to", o.persistTo] : []),
    ...(o.config ? ["--config", o.config] : []),
    ...(o.erased ? ["--erased", o.erased] : []),
    ...(o.follow ? ["--follow"] : []),
    ...(o.interval ? ["--interval", o.interval] : []),
    ...(o.withoutCustomers ? ["--without-customers"] : []),
  ];
}

/** Runs the publish step; resolves with its exit code. */
export function runForecastPublish(
  name: string,
  version: string | undefined,
  o: Record<string, string>,
): Promise<number> {
  const bun = process.versions.bun
    ? process.execPath
    : join(import.meta.dirname, "../../node_modules/.bin/bun");
  return new Promise((done, fail) => {
    const child = spawn(bun, [script, ...publishArguments(name, version, o)], {
      stdio: "inherit",
      // The step stops following when this process is gone (killed with SIGKILL, say).
      env: { ...process.env, PP_PUBLISH_PARENT_PID: String(process.pid) },
    });
    // A stop asked of `ml` (--follow runs until then) is passed on, so the step ends cleanly.
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onTerm = forward("SIGTERM");
    const onInt = forward("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    child.on("error", fail);
    child.on("exit", (code, signal) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      done(code ?? (signal ? 1 : 0));
    });
  });
}
