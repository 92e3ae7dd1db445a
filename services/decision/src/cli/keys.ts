// `bun run keys create NAME [--scope decide|admin] [--expires-in-days N] | list | revoke ID |
// rotate ID [--grace-hours H] [--expires-in-days N]`: manages the decision service's API keys in
// its database (DATABASE_URL, else PGlite in DECISION_DATA_DIR). A new key is printed once; only
// its SHA-256 is stored. A running service accepts a new key at once (it re-reads the keys on a
// miss) and sees a revocation or a shortened expiry within about a second (it checks the table's
// digest that often; on PostgreSQL it is notified at once); the admin API (/admin/keys) applies
// both at once in the process that answered it.
import { parseArgs } from "node:util";
import { DECIMAL_ID_MAX, decimalIdFrom } from "@pp/shared/contracts/decimal-id.ts";
import { plainDecimalFrom } from "@pp/shared/contracts/plain-decimal.ts";
import { API_KEY_SCOPES, type ApiKeyScope } from "../auth/api-key-scopes.ts";
import {
  ApiKeyStore,
  type CreatedKey,
  expiryAfterDays,
  KEY_LIFETIME_DAYS_MAX,
  keyNameProblem,
  keyState,
  ROTATION_GRACE_HOURS_DEFAULT,
  ROTATION_GRACE_HOURS_MAX,
  shownKeyName,
} from "../auth/api-key-store.ts";
import { closeWithin } from "../store/close-within.ts";
import { openCliStore } from "./cli-store.ts";

const usage =
  "usage: keys create NAME [--scope decide|admin] [--expires-in-days N] | keys list | keys revoke ID\n" +
  "       keys rotate ID [--grace-hours H] [--expires-in-days N]\n" +
  "  --scope decide (default): POST /decision and /decision/batch; admin: also /admin/*\n" +
  `  --expires-in-days N: the key is refused after N days (1-${KEY_LIFETIME_DAYS_MAX}; default: never)\n` +
  "  rotate: a new key with the same name and scopes (and lifetime, unless --expires-in-days);\n" +
  `          the old one works H more hours (default ${ROTATION_GRACE_HOURS_DEFAULT})`;

interface Command {
  name: "create" | "list" | "revoke" | "rotate";
  arg: string | undefined;
  scopes: ApiKeyScope[];
  expiresInDays: number | null;
  graceHours: number;
}

class UsageError extends Error {}

/**
 * A number option's value within [min, max], else a UsageError naming the option. Plain decimal
 * notation only: Number() also reads "0x10" as 16 and "1e1" as 10.
 */
function numberOption(value: string | undefined, option: string, min: number, max: number) {
  if (value === undefined) return undefined;
  const n = plainDecimalFrom(value);
  if (n === null || n < min || n > max) {
    throw new UsageError(`${option} must be a number from ${min} to ${max} (got "${value}")`);
  }
  return n;
}

function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scope: { type: "string", multiple: true },
      "expires-in-days": { type: "string" },
      "grace-hours": { type: "string" },
    },
  });
  const [name, arg, extra] = positionals;
  if (name !== "create" && name !== "list" && name !== "revoke" && name !== "rotate") {
    throw new UsageError(name ? `unknown command "${name}"` : "no command");
  }
  if ((name === "list") !== (arg === undefined) || extra !== undefined) {
    throw new UsageError(name === "list" ? "list takes no argument" : `${name} needs one argument`);
  }
  // Checked before the database is opened: a usage error (exit 2), as the other arguments'.
  const badName = name === "create" && arg !== undefined ? keyNameProblem(arg) : null;
  if (badName) throw new UsageError(badName);
  const wanted = (values.scope ?? []).flatMap((s) => s.split(","));
  if (wanted.some((w) => !(API_KEY_SCOPES as readonly string[]).includes(w))) {
    throw new UsageError("--scope must be decide or admin");
  }
  const days = numberOption(
    values["expires-in-days"],
    "--expires-in-days",
    1,
    KEY_LIFETIME_DAYS_MAX,
  );
  if (days !== undefined && !Number.isInteger(days)) {
    throw new UsageError("--expires-in-days must be a whole number of days");
  }
  return {
    name,
    arg,
    scopes: wanted.length === 0 ? ["decide"] : (wanted as ApiKeyScope[]),
    expiresInDays: days ?? null,
    graceHours:
      numberOption(values["grace-hours"], "--grace-hours", 0, ROTATION_GRACE_HOURS_MAX) ??
      ROTATION_GRACE_HOURS_DEFAULT,
  };
}

/** A key id argument: decimal digits (not "0x10" or "1e1", which Number() reads as 16 and 10). */
function keyId(arg: string | undefined): number {
  const id = decimalIdFrom(arg);
  if (id === null) {
    throw new UsageError(`ID must be decimal digits from 1 to ${DECIMAL_ID_MAX} (got "${arg}")`);
  }
  return id;
}

const expiry = (k: { expiresAt: Date | null }) =>
  k.expiresAt ? `expires ${k.expiresAt.toISOString()}` : "never expires";

/** A name in a sentence: quoted; a rotated hand-made one escaped and cut, as `list` shows it. */
const quotedName = (name: string) =>
  shownKeyName(name) === name ? `"${name}"` : shownKeyName(name);

function printCreated(created: CreatedKey, what: string): void {
  console.error(
    `${what} key #${created.id} ${quotedName(created.name)} (scopes: ${created.scopes.join(",")}; ${expiry(created)}); it is shown once, store it now:`,
  );
  console.log(created.key);
}

/**
 * Why `revoke ID` changed nothing. A key revoked already is said so, with when: run again after a
 * first run was killed (or lost its terminal) once its UPDATE had landed, it said "no active key
 * with id N", which reads as a wrong id.
 */
async function notRevokedReason(store: ApiKeyStore, id: number): Promise<string> {
  const known = (await store.list()).find((k) => k.id === id);
  if (!known?.revokedAt) return `no key with id ${id}`;
  return `key #${id} ${quotedName(known.name)} was already revoked at ${known.revokedAt.toISOString()}`;
}

/** Runs the command against the store; returns the exit code. */
async function run(store: ApiKeyStore, command: Command): Promise<number> {
  if (command.name === "create") {
    const expiresAt = expiryAfterDays(command.expiresInDays);
    printCreated(await store.create(command.arg as string, command.scopes, expiresAt), "created");
  } else if (command.name === "list") {
    console.log("id\tname\tscopes\tcreated\tstate\texpiry");
    for (const k of await store.list()) {
      const state = keyState(k);
      const when = state === "revoked" ? ` ${k.revokedAt?.toISOString()}` : "";
      console.log(
        `${k.id}\t${shownKeyName(k.name)}\t${k.scopes.join(",")}\t${k.createdAt.toISOString()}\t${state}${when}\t${expiry(k)}`,
      );
    }
  } else if (command.name === "revoke") {
    const id = keyId(command.arg);
    if (!(await store.revoke(id))) {
      console.error(await notRevokedReason(store, id));
      return 1;
    }
    console.error(`revoked key #${id}`);
  } else {
    const id = keyId(command.arg);
    const rotated = await store.rotate(id, {
      graceHours: command.graceHours,
      lifetimeDays: command.expiresInDays ?? undefined,
    });
    if (!rotated) {
      console.error(`no active, unexpired key with id ${id}`);
      return 1;
    }
    console.error(`key #${id} works until ${rotated.oldExpiresAt.toISOString()}`);
    printCreated(rotated.created, "replaced by");
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return 0;
  }
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return 2;
  }
  const handle = await openCliStore();
  try {
    return await run(new ApiKeyStore(handle.db), command);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${usage}`);
      return 2;
    }
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  } finally {
    await closeWithin(handle, 3000);
  }
}

process.exit(await main(process.argv.slice(2)));
