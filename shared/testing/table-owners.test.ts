// One owner per table: every table of shared/db/schema.ts is read and written by one owner module
// (in the layer that owns the data); everything else calls that module. Checked on every non-test
// source file: its value imports of the Drizzle table objects, and the table names its SQL names.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isTestSupport, sourceFiles } from "./source-tree.ts";
import { declaredTables, tablesUsed } from "./table-usage.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SCANNED_ROOTS = ["ml", "services", "shared", "bench", "scripts", "monitoring", "notebooks"];
const SCHEMA = "shared/db/schema.ts";

/** Table name → the files of its owner module. */
export const TABLE_OWNERS: Record<string, readonly string[]> = {
  models: ["shared/registry/model-registry.ts"],
  model_versions: ["shared/registry/model-registry.ts"],
  customer_features: ["shared/registry/customer-features.ts"],
  decision_log: ["shared/registry/decision-log.ts", "shared/registry/decision-log-reads.ts"],
  decision_log_dead_letter: ["shared/registry/decision-log.ts"],
  policies: ["shared/registry/policy-store.ts"],
  api_keys: ["services/decision/src/auth/api-key-store.ts"],
  forecast_tracking: ["shared/registry/tracking-store.ts"],
  campaign_results: ["shared/campaigns/campaign-results-store.ts"],
  campaign_shares: ["shared/campaigns/campaign-shares.ts"],
  customer_erasures: ["shared/registry/customer-erasures.ts"],
  publish_leases: ["shared/registry/publish-leases.ts"],
  decision_store_settings: ["shared/registry/decision-id-case.ts"],
};

/**
 * Files that pass the whole schema to Drizzle (`import * as schema`) to open a database; they may
 * not name a table through it.
 */
const SCHEMA_OPENERS = new Set([
  "shared/db/client.ts",
  "shared/db/database.ts",
  "services/decision/src/store/hyperdrive-database.ts",
  "bench/embedded-store.ts",
]);

describe("table owners", () => {
  const tables = declaredTables(readFileSync(join(ROOT, SCHEMA), "utf8"));

  test("the scanner finds Drizzle imports and SQL, and passes over types, comments and prose", () => {
    const t = new Map([
      ["decision_log", "decisionLog"],
      ["customer_features", "customerFeatures"],
      ["policies", "policies"],
    ]);
    const used = (src: string) => [...tablesUsed(src, t)].sort();
    expect(used('import { decisionLog } from "@pp/shared/db/schema.ts";')).toEqual([
      "decision_log",
    ]);
    expect(used('import { type X,\n  policies } from "../db/schema.ts";')).toEqual(["policies"]);
    expect(used('import type { decisionLog } from "../db/schema.ts";')).toEqual([]);
    expect(used('import { type decisionLog } from "../db/schema.ts";')).toEqual([]);
    expect(used("db.select().from(schema.policies)")).toEqual(["policies"]);
    expect(used(`sql\`select count(*) from customer_features where id = \${id}\``)).toEqual([
      "customer_features",
    ]);
    expect(
      used(`sql\`select \${a} from x join \${b ? sql\`y\` : sql\`\`} join policies\``),
    ).toEqual(["policies"]);
    expect(used('client.unsafe("copy (select 1 from decision_log) to stdout")')).toEqual([
      "decision_log",
    ]);
    expect(used("// select x from decision_log\n/* select * from policies */")).toEqual([]);
    expect(used('const help = "decisions into decision_log";')).toEqual([]);
  });

  test("every table has an owner, and each owner file exists and uses its table", () => {
    expect([...tables.keys()].sort()).toEqual(Object.keys(TABLE_OWNERS).sort());
    for (const [table, owners] of Object.entries(TABLE_OWNERS)) {
      const usedByOwner = owners.some((file) =>
        tablesUsed(readFileSync(join(ROOT, file), "utf8"), tables).has(table),
      );
      expect({ table, usedByOwner }).toEqual({ table, usedByOwner: true });
    }
  });

  test("no non-test module outside a table's owner reads or writes it", () => {
    const offenders: string[] = [];
    for (const file of SCANNED_ROOTS.flatMap((dir) => sourceFiles(ROOT, dir))) {
      if (file === SCHEMA || file.startsWith("shared/db/migrations/") || isTestSupport(file)) {
        continue;
      }
      const source = readFileSync(join(ROOT, file), "utf8");
      if (/import\s+\*\s+as\s+\w+\s+from\s*["'][^"']*db\/schema/.test(source)) {
        if (!SCHEMA_OPENERS.has(file)) offenders.push(`${file}: imports the whole schema`);
      }
      for (const table of tablesUsed(source, tables)) {
        if (!TABLE_OWNERS[table]?.includes(file)) {
          offenders.push(`${file}: uses ${table} (owner: ${TABLE_OWNERS[table]?.join(", ")})`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
