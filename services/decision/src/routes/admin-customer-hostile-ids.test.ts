// Hostile customer ids on GET/DELETE /admin/customers/:id/decisions of a real decision service
// process (Bun entry), on the embedded store and on PostgreSQL: an id the service cannot use (a
// NUL, a lone surrogate's bytes, a bare %, 10 kB) is a 4xx JSON error naming `id`, never a 500
// (100 kB: Bun's own 431, before the app); LIKE wildcards, glob and regular-expression characters
// and letters whose case folds oddly erase only themselves. Every decision is counted by id
// before and after each request.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join, resolve } from "node:path";
import { queryRows } from "@pp/shared/db/database.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, startBun, stopProc, waitForHttp } from "@pp/shared/testing/processes.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";

setDefaultTimeout(120_000);

const root = resolve(import.meta.dirname, "../../../..");
const ADMIN = "admin-key-for-hostile-customer-ids-0123";
const STORED = ["abc", "axc", "a%", "x", "_", "a*", "a.c", "(a)", "^a$", "ß", "ss", "İ", "i", "I"];

for (const driver of testDrivers()) {
  describe(`admin customer routes with hostile ids (${driver})`, () => {
    let t: TestDatabase;
    let proc: Proc;
    let base: string;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      await t.handle.db.insert(decisionLog).values(STORED.map((id) => decisionRow(id)));
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      proc = startBun("decision", join(root, "services/decision/src/entry/bun.ts"), {
        PORT: String(port),
        HOST: "127.0.0.1",
        ...(driver === "postgres"
          ? { DATABASE_URL: t.options.databaseUrl as string }
          : { DATA_DIR: t.options.dataDir as string }),
        ADMIN_API_KEYS: ADMIN,
        CAMPAIGN_SECRET: "hostile-customer-ids-campaign-secret",
        FORECAST_URL: "http://127.0.0.1:9",
        LOG_LEVEL: "warn",
      });
      await waitForHttp(`${base}/health`, (s) => s === 200, "decision /health", 60_000);
    });
    afterAll(async () => {
      if (proc) await stopProc(proc);
      await t?.cleanup();
    });

    async function counts(): Promise<Map<string, number>> {
      const rows = await queryRows<{ id: string; n: number }>(
        t.handle.db,
        sql`select customer_id as id, count(*)::int as n from decision_log group by customer_id`,
      );
      return new Map(rows.map((r) => [r.id, Number(r.n)]));
    }

    /** `method` on the customer path written `encoded`; the answer and the ids erased. */
    async function ask(method: "GET" | "DELETE", encoded: string) {
      const before = await counts();
      const res = await fetch(`${base}/admin/customers/${encoded}/decisions`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const text = await res.text();
      const after = await counts();
      const erased = [...before.keys()].filter((id) => (after.get(id) ?? 0) < before.get(id)!);
      return { status: res.status, text, erased: erased.sort() };
    }

    test("ids the service cannot use: a 4xx JSON error naming id, nothing erased", async () => {
      const unusable = ["%00", "a%00b", "%ED%A0%80", "a%", "%E0%A4%A", `abc${"x".repeat(10_000)}`];
      const wrong: string[] = [];
      for (const encoded of unusable) {
        for (const method of ["GET", "DELETE"] as const) {
          const answer = await ask(method, encoded);
          const what = `${method} ${encoded.slice(0, 20)}: ${answer.status} ${answer.text.slice(0, 200)}`;
          const body = (() => {
            try {
              return JSON.parse(answer.text) as { error?: { details?: Array<{ path: string[] }> } };
            } catch {
              return null;
            }
          })();
          const named = body?.error?.details?.some((d) => d.path.includes("id")) === true;
          const client = answer.status >= 400 && answer.status < 500;
          if (!client || !named || answer.erased.length > 0) wrong.push(what);
        }
      }
      expect(wrong).toEqual([]);
      // 100 kB: Bun's HTTP parser answers 431 (no body) before the app sees the request line.
      for (const method of ["GET", "DELETE"] as const) {
        const answer = await ask(method, `abc${"x".repeat(100_000)}`);
        expect(answer.status).toBe(431);
        expect(answer.erased).toEqual([]);
      }
    });

    test("wildcards and pattern characters erase only themselves, and list only themselves", async () => {
      const listed = await ask("GET", encodeURIComponent("a%"));
      expect(listed.status).toBe(200);
      expect((JSON.parse(listed.text) as { decisions: unknown[] }).decisions).toHaveLength(1);
      for (const id of ["a%", "_", "a*", "a.c", "(a)", "^a$"]) {
        const answer = await ask("DELETE", encodeURIComponent(id));
        expect(answer.status, answer.text).toBe(200);
        expect(answer.erased).toEqual([id]);
        expect(JSON.parse(answer.text)).toEqual({
          customer_id: id,
          erased: { decisions: 1, dead_letters: 0 },
          already_erased: false,
          previously_erased_at: null,
          // No forecast service to ask and nothing recorded: taken as given, and said so.
          id_case: "unknown",
          warning: expect.stringContaining("letter-case rule"),
        });
      }
      const left = await counts();
      for (const id of ["abc", "axc", "x"]) expect(left.get(id)).toBe(1);
    });

    test("letters whose case folds oddly erase only themselves (ids keep case)", async () => {
      for (const id of ["ß", "İ"]) {
        const answer = await ask("DELETE", encodeURIComponent(id));
        expect(answer.status, answer.text).toBe(200);
        expect(answer.erased).toEqual([id]);
      }
      const left = await counts();
      for (const id of ["ss", "i", "I"]) expect(left.get(id)).toBe(1);
    });
  });
}
