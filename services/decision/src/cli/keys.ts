// `bun run keys create NAME | list | revoke ID`: manages the decision service's API keys in its
// database (DATABASE_URL, else PGlite in DECISION_DATA_DIR). A new key is printed once; only its
// SHA-256 is stored. With PGlite, stop the service first (a PGlite database serves one process).
import { configOrExit } from "@pp/shared/http/start-up.ts";
import { ApiKeyStore } from "../auth/api-key-store.ts";
import { parseConfig } from "../config.ts";
import { closeWithin } from "../store/close-within.ts";
import { openDecisionDatabase } from "../store/open-decision-database.ts";

const usage = "usage: keys create NAME | keys list | keys revoke ID";

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  if (command !== "create" && command !== "list" && command !== "revoke") {
    console.error(usage);
    return 2;
  }
  if ((command === "create" || command === "revoke") && !arg) {
    console.error(usage);
    return 2;
  }
  const config = configOrExit(() => parseConfig(process.env), process.exit);
  const handle = await openDecisionDatabase(config);
  try {
    const store = new ApiKeyStore(handle.db);
    if (command === "create") {
      const created = await store.create(arg as string);
      console.error(
        `created key #${created.id} "${created.name}"; it is shown once, store it now:`,
      );
      console.log(created.key);
    } else if (command === "list") {
      for (const k of await store.list()) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active";
        console.log(`${k.id}\t${k.name}\t${k.createdAt.toISOString()}\t${state}`);
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
