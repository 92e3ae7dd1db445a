// `ml forget` given ids built to widen or break an erasure, as real processes on both drivers:
// LIKE wildcards (`a%`, `_`), glob and regular-expression characters, ids that look like options,
// letters whose case folds oddly ("ß", "İ", the Kelvin sign: "K" once composed), a 100 kB id, a NUL and a lone
// surrogate in an id file. Every stored row and decision is counted by id before and after each
// run: a run erases exactly the ids it was given (the version keeps case), and an id it cannot
// read fails the run with a line naming it, exit code non-zero, everything left.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { queryRows } from "@pp/shared/db/database.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";

setDefaultTimeout(120_000);

const cli = join(resolve(import.meta.dirname, "../.."), "ml/cli.ts");
const dir = mkdtempSync(join(tmpdir(), "pp-forget-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stored customers (one row each under the version, one decision each). */
const STORED = [
  "abc",
  "axc",
  "a%",
  "x",
  "_",
  "a*",
  "a.c",
  "a+",
  "(a)",
  "[a]",
  "a\\b",
  "^a$",
  "ß",
  "ss",
  "SS",
  "İ",
  "i",
  "I",
  "k",
  "K",
  "--all",
  "-v",
];

for (const driver of testDrivers()) {
  describe(`ml forget with hostile ids (${driver})`, () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      const store = join(dir, `${driver}-artifacts`);
      env =
        driver === "postgres"
          ? {
              DATABASE_URL: t.options.databaseUrl as string,
              ARTIFACT_STORE_URI: `file://${store}`,
              DATA_DIR: join(dir, `${driver}-unused`),
            }
          : { DATA_DIR: t.options.dataDir as string, ARTIFACT_STORE_URI: `file://${store}` };
      const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(store));
      await registry.registerVersion("m", registrationInput(plainCustomers(STORED), true));
      await t.handle.db.insert(decisionLog).values(STORED.map((id) => decisionRow(id)));
    });
    afterAll(() => t?.cleanup());

    /** Stored rows plus decisions, by id. */
    async function counts(): Promise<Map<string, number>> {
      const rows = await queryRows<{ id: string; n: number }>(
        t.handle.db,
        sql`select id, count(*)::int as n from (
          select customer_id as id from customer_features
          union all select customer_id as id from decision_log) s group by id`,
      );
      return new Map(rows.map((r) => [r.id, Number(r.n)]));
    }

    /** Runs `ml forget args`; answers the run and the ids whose rows it erased. */
    async function forget(args: string[]) {
      const before = await counts();
      const run = await runBun(cli, ["forget", ...args], env);
      const after = await counts();
      const erased = [...before.keys()].filter((id) => (after.get(id) ?? 0) < before.get(id)!);
      // Nothing is half-erased: an id keeps both its rows or loses both.
      for (const id of erased) expect(after.get(id) ?? 0).toBe(0);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
      return { run, erased: erased.sort() };
    }

    test("an id looking like an option is refused as one, or forgotten after --", async () => {
      const refused = await forget(["--all"]);
      expect(refused.run.status).toBe(2);
      expect(refused.run.stderr).toContain("unknown option '--all'");
      expect(refused.erased).toEqual([]);
      const given = await forget(["--", "--all", "-v"]);
      expect(given.run.status).toBe(0);
      expect(given.erased).toEqual(["--all", "-v"]);
    });

    test("LIKE wildcards, glob and regular-expression characters erase only themselves", async () => {
      expect((await forget(["a%"])).erased).toEqual(["a%"]);
      expect((await forget(["_"])).erased).toEqual(["_"]);
      const many = ["a*", "a.c", "a+", "(a)", "[a]", "a\\b", "^a$"];
      expect((await forget(many)).erased).toEqual([...many].sort());
      const left = await counts();
      for (const id of ["abc", "axc", "x"]) expect(left.get(id)).toBe(2);
    });

    test("letters whose case folds oddly erase only themselves in a version keeping case", async () => {
      expect((await forget(["ß"])).erased).toEqual(["ß"]);
      expect((await forget(["İ"])).erased).toEqual(["İ"]);
      // The Kelvin sign is "K" composed (NFC), as the log reader stores ids; never "k".
      const kelvin = await forget(["\u212a"]);
      expect(kelvin.run.status).toBe(0);
      expect(kelvin.erased).toEqual(["K"]);
      const left = await counts();
      for (const id of ["ss", "SS", "i", "I", "k"]) expect(left.get(id)).toBe(2);
    });

    test("a 100 kB id erases nothing and the run says what it did in a line", async () => {
      const long = await forget([`abc${"x".repeat(100_000)}`]);
      expect(long.erased).toEqual([]);
      expect(long.run.stderr).toBe("");
      expect(long.run.status).toBe(0);
    });

    test("a NUL or a lone surrogate in an id file fails the run naming it; nothing erased", async () => {
      const nul = join(dir, `${driver}-nul.txt`);
      writeFileSync(nul, "abc\nx\u0000y\n");
      const withNul = await forget(["--from-file", nul]);
      expect(withNul.run.status).toBe(2);
      expect(withNul.run.stderr).toContain(`customer id at ${nul} line 2 contains a NUL character`);
      expect(withNul.erased).toEqual([]);
      // UTF-16 (little-endian, byte order mark first) with an unpaired high surrogate.
      const lone = join(dir, `${driver}-surrogate.txt`);
      const units = [0xfeff, ..."abc\n".split("").map((c) => c.charCodeAt(0)), 0xd800, 0x61, 0x0a];
      writeFileSync(lone, Buffer.from(new Uint16Array(units).buffer));
      const withLone = await forget(["--from-file", lone]);
      expect(withLone.run.stderr).toContain(`${lone} line 2`);
      expect(withLone.run.stderr).toContain("unpaired surrogate");
      expect(withLone.run.status).toBe(2);
      expect(withLone.erased).toEqual([]);
    });
  });
}
