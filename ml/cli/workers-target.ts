// `--publish` / `--republish` of `ml train`, `ml promote`, `ml rollback` and `ml forget`: where
// they reach the forecast Workers, and the forecast service's publish step run as its own process.
import type { Command } from "commander";
import { publishArguments, runForecastPublish } from "../pipelines/run-forecast-publish.ts";

/** Where `--publish` / `--republish` reach the forecast Workers (the publish step's options). */
export interface WorkersTarget {
  local?: boolean;
  persistTo?: string;
  config?: string;
}

export function addWorkersTargetOptions(command: Command, flag: string): Command {
  return command
    .option("--local", `with ${flag}: wrangler's local state (what \`wrangler dev\` reads)`)
    .option("--persist-to <dir>", `with ${flag} --local: wrangler dev's --persist-to directory`)
    .option("--config <file>", `with ${flag}: the wrangler config with the bindings`);
}

/** The target named by `flag` ("cloudflare" or none); any other is refused before any change. */
export function checkedTarget(flag: string, target: string | undefined): "cloudflare" | undefined {
  if (target !== undefined && target !== "cloudflare") {
    throw new RangeError(`${flag}: only "cloudflare" is supported (got "${target}")`);
  }
  return target;
}

/** The publish step's options for this target (`ml publish`'s, as publishArguments takes them). */
function publishOptions(o: WorkersTarget, erased?: readonly number[]) {
  return {
    target: "cloudflare",
    ...(o.local ? { local: "true" } : {}),
    ...(o.persistTo ? { persistTo: o.persistTo } : {}),
    ...(o.config ? { config: o.config } : {}),
    ...(erased ? { erased: erased.join(",") } : {}),
  };
}

/** The `ml publish` command that does (or finishes) what publishToWorkers does. */
export function publishCommandLine(
  name: string,
  o: WorkersTarget,
  erased?: readonly number[],
): string {
  // Shell words left bare (a comma is safe in one: --erased 2,3); anything else quoted.
  const quoted = (text: string) => (/^[\w./:=@,-]+$/.test(text) ? text : JSON.stringify(text));
  const args = publishArguments(name, undefined, publishOptions(o, erased));
  return ["ml publish", ...args.map(quoted)].join(" ");
}

/**
 * Runs the forecast service's publish step for NAME's production version (or, with `erased`,
 * takes the customers erased from those versions out of the Workers' R2: erase-published.ts).
 * `done` says what already happened in the registry, for the message when the step fails.
 */
export async function publishToWorkers(
  name: string,
  done: string,
  o: WorkersTarget,
  erased?: readonly number[],
): Promise<void> {
  const code = await runForecastPublish(name, undefined, publishOptions(o, erased));
  if (code === 0) return;
  // Re-running an erasure would not help (nothing is left to erase in the database): the publish
  // step with --erased finishes it, and it is safe to repeat.
  throw new RangeError(
    `${done}, but publishing ${name} to the Workers failed (exit ${code}): run \`${publishCommandLine(name, o, erased)}\` (safe to repeat)`,
  );
}
