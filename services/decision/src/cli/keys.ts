// `bun run keys create NAME [--scope decide|admin] | list | revoke ID`: manages the decision service's API keys in its
// database (DATABASE_URL, else PGlite in DECISION_DATA_DIR). A new key is printed once; only its
// SHA-256 is stored. With PGlite, stop the service first (a PGlite database serves one process).
import { configOrExit } from "@pp/shared/http/start-up.ts";
import { API_KEY_SCOPES, type ApiKeyScope } from "../auth/api-key-scopes.ts";
import { ApiKeyStore } from "../auth/api-key-store.ts";
import { parseConfig } from "../config.ts";
import { closeWithin } from "../store/close-within.ts";
import { openDecisionDatabase } from "../store/open-decision-database.ts";

const usage =
  "usage: keys create NAME [--scope decide|admin] | keys list | keys revoke ID\n" +
  "  --scope decide (default): POST /decision and /decision/batch; admin: also /admin/*";

/** The scopes `--scope X` (repeatable, or comma-separated) asks for; undefined when invalid. */
function scopesOf(args: string[]): ApiKeyScope[] | undefined {
  const wanted: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--scope") wanted.push(...(args[++i] ?? "").split(","));
    else if (a.startsWith("--scope=")) wanted.push(...a.slice(8).split(","));
    else return undefined;
  }
  if (wanted.some((w) => !(API_KEY_SCOPES as readonly string[]).includes(w))) return undefined;
  return wanted.length === 0 ? ["decide"] : (wanted as ApiKeyScope[]);
}

async function main(argv: string[]): Promise<number> {
  const [command, arg, ...rest] = argv;
  if (command !== "create" && command !== "list" && command !== "revoke") {
    console.error(usage);
    return 2;
  }
  if ((command === "create" || command === "revoke") && !arg) {
    console.error(usage);
    return 2;
  }
  const scopes = command === "create" ? scopesOf(rest) : [];
  if (!scopes) {
    console.error(`--scope must be decide or admin\n${usage}`);
    return 2;
  }
  const config = configOrExit(() => parseConfig(process.env), process.exit);
  const handle = await openDecisionDatabase(config);
  try {
    const store = new ApiKeyStore(handle.db);
    if (command === "create") {
      const created = await store.create(arg as string, scopes);
      console.error(
        `created key #${created.id} "${created.name}" (scopes: ${created.scopes.join(",")}); it is shown once, store it now:`,
      );
      console.log(created.key);
    } else if (command === "list") {
      for (const k of await store.list()) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active";
        console.log(
          `${k.id}\t${k.name}\t${k.scopes.join(",")}\t${k.createdAt.toISOString()}\t${state}`,
        );
      }
    } else {
      const id = Number(arg);
      if (!Number.isInteger(id) || id < 1) {
        console.error(`ID must be a positive integer (got "${arg}")`);
        return 2;
      }
      if (!(await store.revoke(id))) {
        console.error(`no active key with id ${id}`);
        return 1;
      }
      console.error(`revoked key #${id}`);
    }
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  } finally {
    await closeWithin(handle, 3000);
  }
}

process.exit(await main(process.argv.slice(2)));
