// The `ml` command line (`bun run ml …`): train, simulate, track (realized vs. forecast), and the
// registry's promote / rollback / models. Bad arguments give a one-line error naming the option
// and exit code 2. Each command's options and action live in ml/cli/<command>.ts.

import { connectionLostCode } from "@pp/shared/db/connection-lost.ts";
import { connectionRefusedReason, redactedDatabaseUrl } from "@pp/shared/db/connection-refused.ts";
import { dataDirFromEnv } from "@pp/shared/db/decision-store-dir.ts";
import { errorChain } from "@pp/shared/errors/error-chain.ts";
import { SHOWN_TEXT_MAX } from "@pp/shared/errors/shown-text.ts";
import { Command, InvalidArgumentError } from "commander";
import { campaignCommand } from "./campaigns/campaign-cli.ts";
import { fileSystemProblem } from "./cli/file-system-error.ts";
import { registerDemoModelCommand, registerPublishCommand } from "./cli/publish.ts";
import {
  registerForgetCommand,
  registerGcCommand,
  registerModelsCommand,
  registerPromoteCommands,
} from "./cli/registry.ts";
import { registerScoreCommand } from "./cli/score.ts";
import { registerSimulateCommand } from "./cli/simulate.ts";
import { registerTrackCommand } from "./cli/track.ts";
import { registerTrainCommand } from "./cli/train.ts";
import { BadRowError } from "./data/bad-rows.ts";

/** The `ml` program; each command is registered by its module in ml/cli/ (help lists them in order). */
export function buildCli(): Command {
  const program = new Command("ml")
    .description("purchase-prediction: train, simulate, and manage registered models")
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ outputError: (text, write) => write(shortenedArgument(text)) })
    .exitOverride();
  registerTrainCommand(program);
  registerSimulateCommand(program);
  registerTrackCommand(program);
  program.addCommand(inheriting(program, campaignCommand()));
  registerScoreCommand(program);
  registerPromoteCommands(program);
  registerPublishCommand(program);
  registerDemoModelCommand(program);
  registerModelsCommand(program);
  registerGcCommand(program);
  registerForgetCommand(program);
  return program;
}

/**
 * The value in commander's "argument '<value>' is invalid", "command-argument value '<value>' is
 * invalid" and "value '<value>' from env": a 5,000-character value was echoed whole.
 */
const INVALID_VALUE = /((?:argument|value) )'([\s\S]*?)'( is invalid| from env)/;

/** `text` with the value commander quotes cut at SHOWN_TEXT_MAX characters (and its length said). */
export function shortenedArgument(text: string): string {
  return text.replace(INVALID_VALUE, (whole, head: string, value: string, tail: string) =>
    value.length <= SHOWN_TEXT_MAX
      ? whole
      : `${head}'${value.slice(0, SHOWN_TEXT_MAX)}…' (${value.length.toLocaleString("en-US")} characters)${tail}`,
  );
}

/**
 * `command` and its subcommands with `parent`'s settings: one built apart and added inherits none,
 * so a bad option of `ml campaign learn` ended the process with exit code 1 (commander's own
 * exit) instead of returning the usage error's 2.
 */
function inheriting(parent: Command, command: Command): Command {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) inheriting(command, sub);
  return command;
}

/**
 * The line for a database that went away or never answered. ECONNREFUSED is nothing listening at
 * the address (a wrong port, a server not started): it was reported as "lost the connection … the
 * database rolls back a transaction it had open", of a connection that never opened.
 */
function lostConnectionLine(e: Error, lost: string, at: string): string {
  // The driver's own words: drizzle's wrapper adds the whole query and its parameters.
  const cause = errorChain(e).at(-1);
  const words = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0];
  if (lost === "ECONNREFUSED") {
    const socket = errorChain(e).find((c) => (c as { code?: unknown }).code === "ECONNREFUSED");
    const { address, port } = socket as { address?: string; port?: number };
    const where = address && port ? ` at ${address}:${port}` : "";
    return (
      `error: could not connect to the database at ${at} (${lost}: ${words}): nothing accepts ` +
      `connections${where}; check the URL's host and port, or start PostgreSQL there, and run it again (a transaction the command had open is rolled back)`
    );
  }
  const what =
    lost === "CONNECT_TIMEOUT"
      ? `no answer from the database at ${at}`
      : `lost the connection to the database at ${at}`;
  // A COMMIT whose reply was lost has landed: "rolls back" alone said it had not (ml forget's).
  return `error: ${what} (${lost}: ${words}); the command stopped (the database rolls back a transaction it had open; one whose COMMIT was already sent may have committed); run it again once the database answers`;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

/** Prints what a command threw (one line where the cause is known) and returns its exit code. */
function reportError(error: unknown): number {
  const e = error as Error & { code?: string; exitCode?: number };
  // Thrown by an action (commander has not printed it).
  if (e instanceof InvalidArgumentError) {
    console.error(`error: ${e.message}`);
    return 2;
  }
  if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
  if (e.code?.startsWith("commander.")) return e.exitCode === 1 ? 2 : (e.exitCode ?? 2); // printed
  if (e instanceof BadRowError || e instanceof RangeError || e.name?.endsWith("InputError")) {
    console.error(`error: ${e.message}`);
    return 2;
  }
  // An artifact changed or gone after registration: its message names the file and the checksums.
  // A file it could not write (a full disk under the store or DATA_DIR): its message names the
  // file and the reason. An embedded store of another PostgreSQL major: it names both. A database
  // a newer release migrated: it names both releases' last migrations. `ml forget` cut off while
  // it switched a version's files: what it had erased, and that a rerun finishes.
  if (
    /^(Registry(NotFound|State)|Artifact(Checksum|NotFound|Write)|LockFile|StoreVersion|Migration|NewerSchema|TrainOutputsBusy|ForgetInterrupted)Error$/.test(
      e.name ?? "",
    )
  ) {
    console.error(`error: ${e.message}`);
    return 1;
  }
  // A path it could not use (a mistyped --out folder, a missing --from-file): after the errors
  // above, whose own messages say more (a full disk under the artifact store names the file).
  const file = fileSystemProblem(e);
  if (file) {
    console.error(`error: ${file.message}`);
    return file.exitCode;
  }
  // The database the error came from: `ml score --to`'s target, else the command's own.
  const at = databaseLocation(targetDatabaseOf(e));
  // Refused before lost: a server never reached was reported as a connection lost.
  const refused = connectionRefusedReason(e);
  if (refused) {
    console.error(
      `error: the database at ${at} refused the connection (${refused.code}: ${refused.message}); check ${refused.check}`,
    );
    return 1;
  }
  const lost = connectionLostCode(e);
  if (lost) {
    console.error(lostConnectionLine(e, lost, at));
    return 1;
  }
  const refusal = databaseRefusal(e);
  if (refusal) {
    console.error(
      `error: the database refused a statement (${refusal}); it and the transaction it was in are rolled back`,
    );
    return 1;
  }
  console.error(cappedText(e.stack ?? String(e)));
  return 1;
}

/** The `databaseUrl` an error was marked with (ml score's --to target), if any. */
function targetDatabaseOf(error: unknown): string | undefined {
  for (const e of errorChain(error)) {
    const url = (e as { databaseUrl?: unknown }).databaseUrl;
    if (typeof url === "string") return url;
  }
  return undefined;
}

/**
 * A database named for messages, password hidden: `url` (a `score --to` target), or the one the
 * command used: DATABASE_URL=…, else DATA_DIR=… (the embedded store).
 */
function databaseLocation(url = process.env.DATABASE_URL?.trim()): string {
  if (!url) return `DATA_DIR=${dataDirFromEnv(process.env)} (the embedded store)`;
  const named = url === process.env.DATABASE_URL?.trim() ? "DATABASE_URL=" : "";
  return `${named}${redactedDatabaseUrl(url)}`;
}

/** The server's own error (SQLSTATE: message) behind a failed query: Drizzle's text holds the
 * query and every parameter (a registration's megabytes), not why it failed. */
function databaseRefusal(error: unknown): string | null {
  for (const e of errorChain(error)) {
    const { name, code, message } = e as { name?: string; code?: unknown; message?: string };
    if (name === "PostgresError" && typeof code === "string") return `${code}: ${message}`;
  }
  return null;
}

/** Drizzle's failed-query errors carry every parameter: a registration's batch is megabytes. */
const ERROR_TEXT_LIMIT = 4_000;

/** `text`, its middle left out past ERROR_TEXT_LIMIT characters (the head names the error, the
 * tail holds the stack). */
export function cappedText(text: string): string {
  if (text.length <= ERROR_TEXT_LIMIT) return text;
  const half = ERROR_TEXT_LIMIT / 2;
  const left = text.length - ERROR_TEXT_LIMIT;
  return `${text.slice(0, half)}\n… (${left.toLocaleString("en-US")} characters left out) …\n${text.slice(-half)}`;
}

if (import.meta.main) {
  // A one-shot command with nothing to keep alive: an error thrown outside its promise chain ends
  // it with exit code 1 instead of leaving Bun spinning. (postgres.js 3.4.9 threw so when
  // PostgreSQL stopped under `ml forget`; it is mended at install, scripts/patch-postgres.mjs.)
  // An open transaction is rolled back by the database, so nothing is half-written.
  process.on("uncaughtException", (error) => {
    console.error(`error: ${error.message} (${error.name}); stopped, nothing more was written`);
    process.exit(1);
  });
  // A PostgreSQL that stops answering (frozen host, dropped packets) ends the command after
  // ML_DATABASE_TIMEOUT_SECONDS of silence instead of leaving it waiting for ever.
  // (`ml score --to postgres://…` writes to one of its own: watched too.)
  const argv = process.argv.slice(2);
  if (process.env.DATABASE_URL?.trim() || argv.some((a) => a === "--to" || a.startsWith("--to=")))
    await watchDatabase();
  process.exitCode = await runCli(process.argv.slice(2));
}

/** Starts shared/db/database-watchdog.ts with ML_DATABASE_TIMEOUT_SECONDS (a bad value: exit 2). */
async function watchDatabase(): Promise<void> {
  const { databaseTimeoutSeconds, startDatabaseWatchdog } = await import(
    "@pp/shared/db/database-watchdog.ts"
  );
  let seconds: number;
  try {
    seconds = databaseTimeoutSeconds(process.env);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(2);
  }
  if (seconds === 0) return;
  startDatabaseWatchdog({
    timeoutMs: seconds * 1000,
    onUnresponsive(url, silentMs) {
      console.error(
        `error: the database at ${databaseLocation(url)} has not answered for ${(silentMs / 1000).toFixed(0)} s (its host frozen, or the network to it dropping packets; ML_DATABASE_TIMEOUT_SECONDS=${seconds}); the command stopped. What it had not committed is rolled back when the database resumes (a commit already sent may still land: check with \`ml models\`); run it again once the database answers`,
      );
      process.exit(1);
    },
  });
}
