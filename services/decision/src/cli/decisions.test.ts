// `decisions id-case [set any_case|exact]` as a real process against both stores: it prints the
// rule and its source, records a stated rule, refuses `exact` once any_case holds (however it was
// recorded), and refuses any other value (exit 2, the value named and escaped, nothing recorded).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { recordedIdCase, recordIdsLowerCased } from "@pp/shared/registry/decision-id-case.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";

const cli = fileURLToPath(new URL("./decisions.ts", import.meta.url));

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process; throws as spawn does for an argument it cannot pass. */
function runCli(args: string[], env: Record<string, string>): Promise<Ran> {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d) => (out.stdout += d));
  child.stderr.on("data", (d) => (out.stderr += d));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, ...out })));
}

for (const driver of testDrivers()) {
  describe(`decisions id-case on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
    }, 60_000);
    afterAll(() => t?.cleanup());

    // Not spawnSync: on PGlite this process serves the embedded store the child connects to.
    const run = (...args: string[]) =>
      runCli(args, {
        DATABASE_URL: t.options.databaseUrl ?? "",
        DECISION_DATA_DIR: t.options.dataDir ?? "",
      });
    const held = async () => (await recordedIdCase(t.handle.db)).idCase;

    test("hostile values: exit 2 naming the value and the choices, nothing recorded", async () => {
      expect((await run("id-case")).stdout).toStartWith("unknown: nothing recorded");
      const hostile: [string, string][] = [
        ["", '""'],
        ["\ud800", '"\uFFFD"'], // the OS carries UTF-8: a lone surrogate arrives as U+FFFD
        ["1e308", '"1e308"'],
        ["ANY_CASE", '"ANY_CASE"'],
        ["any_case\u001b[31m", '"any_case\\u001b[31m"'],
        ["x".repeat(10_000), `"${"x".repeat(64)}…"`],
      ];
      for (const [value, said] of hostile) {
        const refused = await run("id-case", "set", value);
        expect({ value: said, status: refused.status }).toEqual({ value: said, status: 2 });
        expect(refused.stderr).toStartWith(`${said} is not a case rule: pass any_case or exact`);
      }
      // No argument can carry NUL: the spawn itself refuses it, so no process runs.
      expect(() => run("id-case", "set", "any_case\u0000")).toThrow(/null bytes/);
      expect((await run("id-case", "set")).status).toBe(2);
      expect((await run("id-case", "set", "exact", "extra")).status).toBe(2);
      expect((await run("id-case", "unset")).status).toBe(2);
      expect(await held()).toBe("unknown");
    }, 120_000);

    test("set exact, then any_case; exact is then refused", async () => {
      const exact = await run("id-case", "set", "exact");
      expect(exact.status, exact.stderr).toBe(0);
      expect(exact.stdout).toStartWith("exact: stated by an operator at ");
      expect(await held()).toBe("exact");
      expect((await run("id-case", "set", "exact")).status).toBe(0); // idempotent
      const anyCase = await run("id-case", "set", "any_case");
      expect(anyCase.status, anyCase.stderr).toBe(0);
      expect(anyCase.stdout).toStartWith("any_case: stated by an operator at ");
      const back = await run("id-case", "set", "exact");
      expect(back.status).toBe(1);
      expect(back.stderr).toContain("never goes back to exact");
      expect((await run("id-case")).stdout).toStartWith("any_case: stated by an operator");
      expect(await held()).toBe("any_case");
    }, 120_000);

    test("any_case recorded from the forecast service: said so, and exact refused", async () => {
      await t.handle.db.execute(sql`delete from decision_store_settings`);
      await recordIdsLowerCased(t.handle.db);
      expect((await run("id-case")).stdout).toStartWith("any_case: recorded at ");
      expect((await run("id-case")).stdout).toContain("from the forecast service");
      expect((await run("id-case", "set", "exact")).status).toBe(1);
      // Stating any_case where the forecast service recorded it keeps its source.
      expect((await run("id-case", "set", "any_case")).stdout).toContain(
        "from the forecast service",
      );
      expect(await held()).toBe("any_case");
    }, 120_000);
  });
}

test("decisions --help prints the usage, exit 0, without opening a store", () => {
  const helped = spawnSync(process.execPath, [cli, "--help"], {
    env: { ...process.env, DATABASE_URL: "postgres://u@127.0.0.1:1/db" },
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(helped.status, helped.stderr).toBe(0);
  expect(helped.stdout).toStartWith("usage: decisions id-case");
});
