// No poison pill, on PGlite and on PostgreSQL, counting rows:
// - through HTTP: a NUL or an unpaired surrogate in any string field of /decision,
//   /decision/batch or /admin/policies is a 400 naming the field; 1,000 normal decisions after
//   it are all in decision_log;
// - in the writer: a row the database still refuses (here injected past validation) goes to
//   decision_log_dead_letter, its request alone is refused, and the 1,000 rows sent with and
//   after it are written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  decisionLog,
  decisionLogDeadLetter,
  type NewDecisionLogRow,
} from "@pp/shared/db/schema.ts";
import { unstorableTextProblem } from "@pp/shared/errors/storable-text.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import fc from "fast-check";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";
import { BufferedAuditLog, DecisionLogRefusedError } from "./audit-log.ts";
import { decisionLogSink } from "./decision-log-sink.ts";
import { WriteThroughAuditLog } from "./write-through-audit-log.ts";

const quiet = createLogger({ sink: () => {} });
const KEY = "poison-test-key-0123456789";
const ADMIN_KEY = "poison-test-admin-0123456789";
const horizon = { value: 13, unit: "week" };
const actions = [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }];

/** A decision log row about `customerId`, with `extra` in its inputs. */
const row = (customerId: string, extra: Record<string, unknown> = {}): NewDecisionLogRow => ({
  decisionId: crypto.randomUUID(),
  decidedAt: new Date(),
  customerId,
  inputs: { kind: "single", ...extra },
  chosenAction: "email",
  scores: {},
  policyName: "default",
  policyVersion: 1,
  modelName: "m",
  modelVersion: 1,
});

/** A string PostgreSQL cannot store: NUL or an unpaired surrogate somewhere in normal text. */
const poisoned = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom("\u0000", "\ud800", "\udfff", "\udbff", "\udc00"),
    fc.string({ maxLength: 8 }),
  )
  .map(([a, bad, b]) => `${a}${bad}${b}`)
  // a high surrogate followed by a low one would be a valid pair: keep only real poison
  .filter((s) => unstorableTextProblem(s) !== undefined);

/** Where a poisoned string can go in each endpoint's body, and the field the 400 must name. */
const placements: Array<{ path: string; field: string; request(bad: string): [string, unknown] }> =
  [
    {
      path: "/decision",
      field: "customer.id",
      request: (bad) => ["/decision", { customer: { id: bad }, horizon, actions }],
    },
    {
      path: "/decision",
      field: "actions.0.id",
      request: (bad) => [
        "/decision",
        { customer: { id: "c-1" }, horizon, actions: [{ ...actions[0], id: bad }] },
      ],
    },
    {
      path: "/decision",
      field: "customer.transactions.0.at",
      request: (bad) => [
        "/decision",
        { customer: { id: "c-1", transactions: [{ at: `2024-01-01${bad}` }] }, horizon, actions },
      ],
    },
    {
      path: "/decision",
      field: "horizon.unit",
      request: (bad) => [
        "/decision",
        { customer: { id: "c-1" }, horizon: { value: 1, unit: bad }, actions },
      ],
    },
    {
      path: "/decision/batch",
      field: "customers.1.id",
      request: (bad) => [
        "/decision/batch",
        { customers: [{ id: "c-1" }, { id: bad }], horizon, actions, budget: 5 },
      ],
    },
    {
      path: "/decision/batch",
      field: "actions.0.id",
      request: (bad) => [
        "/decision/batch",
        { customers: [{ id: "c-1" }], horizon, actions: [{ ...actions[0], id: bad }], budget: 5 },
      ],
    },
    {
      path: "/admin/policies",
      field: "name",
      request: (bad) => ["/admin/policies", { name: bad, definition: {} }],
    },
    {
      path: "/admin/policies",
      field: "definition.description",
      request: (bad) => ["/admin/policies", { name: "p", definition: { description: bad } }],
    },
    {
      path: "/admin/keys",
      field: "name",
      request: (bad) => ["/admin/keys", { name: bad, scopes: ["decide"] }],
    },
  ];

for (const driver of testDrivers()) {
  describe(`poison pill on ${driver}`, () => {
    let testDb: TestDatabase;
    let deps: DecisionDeps;
    let app: ReturnType<typeof createApp>;

    beforeAll(async () => {
      testDb = await openTestDatabase(driver);
      const stub = forecastContractStub({
        known: { "c-1": { expected_purchases: 2, p_alive: 0.9 } },
      });
      deps = buildDecisionDeps(
        parseConfig({
          API_KEYS: KEY,
          ADMIN_API_KEYS: ADMIN_KEY,
          POLICY_CACHE_MS: "600000",
          // Counting rows, not testing the commit deadline: a loaded machine must not 503 them.
          DECISION_LOG_COMMIT_TIMEOUT_MS: "30000",
        }),
        {
          runtime: "test",
          database: async () => testDb.handle.db,
          forecastTransport: inProcessTransport(stub.app),
          overrides: { logger: quiet },
        },
      );
      app = createApp(deps);
    }, 60_000);

    afterAll(async () => {
      await deps?.audit.close(5000);
      await testDb?.cleanup();
    });

    const send = (path: string, body: unknown, key = KEY) =>
      app.request(path, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    test("every field of every endpoint: 400 naming it; then 1,000 decisions all logged", async () => {
      await fc.assert(
        fc.asyncProperty(poisoned, fc.constantFrom(...placements), async (bad, placement) => {
          const [path, body] = placement.request(bad);
          const res = await send(path, body, path.startsWith("/admin") ? ADMIN_KEY : KEY);
          expect(res.status).toBe(400);
          const error = (
            (await res.json()) as { error: { code: string; details: Array<{ path: string }> } }
          ).error;
          expect(error.code).toBe("validation_error");
          expect(error.details.map((d) => d.path)).toContain(placement.field);
        }),
        { numRuns: 60, seed: 12 },
      );
      // Paths and queries too.
      const param = await app.request(
        `/admin/policies/${encodeURIComponent("a\u0000b")}/versions/1`,
        {
          headers: { Authorization: `Bearer ${ADMIN_KEY}` },
        },
      );
      expect(param.status).toBe(400);

      const before = await testDb.handle.db.$count(decisionLog);
      const answered = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const res = await send("/decision", { customer: { id: "c-1" }, horizon, actions });
          expect(res.status).toBe(200);
          return ((await res.json()) as { decision_id: string }).decision_id + String(i * 0);
        }),
      );
      expect(new Set(answered).size).toBe(1000);
      expect(await testDb.handle.db.$count(decisionLog)).toBe(before + 1000);
    }, 120_000);

    test("a row the database refuses is dead-lettered; the 1,000 around it are written", async () => {
      const metrics = new MetricsRegistry();
      const lines: string[] = [];
      const log = new BufferedAuditLog({
        sink: decisionLogSink(async () => testDb.handle.db),
        logger: createLogger({ sink: (line) => lines.push(line) }),
        metrics,
      });
      await fc.assert(
        fc.asyncProperty(
          poisoned,
          fc.constantFrom("customerId", "inputs", "chosenAction"),
          async (bad, field) => {
            const before = await testDb.handle.db.$count(decisionLog);
            const deadBefore = await testDb.handle.db.$count(decisionLogDeadLetter);
            const poison =
              field === "customerId"
                ? row(bad)
                : field === "inputs"
                  ? row("c-1", { note: bad })
                  : { ...row("c-1"), chosenAction: bad };
            // The poisoned row first, then 1,000 normal ones sent at once: they share its group.
            const refused = log.record([poison]);
            const normal = Array.from({ length: 1000 }, (_, i) => log.record([row(`n-${i}`)]));
            await expect(refused).rejects.toBeInstanceOf(DecisionLogRefusedError);
            await Promise.all(normal);
            expect(await testDb.handle.db.$count(decisionLog)).toBe(before + 1000);
            expect(await testDb.handle.db.$count(decisionLogDeadLetter)).toBe(deadBefore + 1);
          },
        ),
        { numRuns: 4, seed: 7 },
      );
      const text = metrics.expose();
      expect(text).toMatch(/^decision_log_dead_letter_rows_total 4$/m);
      expect(text).toMatch(/^decision_log_rows_written_total 4000$/m);
      // One line per refused row, and none carries a row's content.
      const refusals = lines.filter((l) => l.includes("dead_letter"));
      expect(refusals).toHaveLength(4);
      for (const l of refusals) expect(l).not.toMatch(/n-\d|insert|jsonb/);
      const [letter] = await testDb.handle.db.select().from(decisionLogDeadLetter).limit(1);
      expect(letter?.reason).toMatch(/^SQLSTATE|data exception/);
      expect(JSON.parse(letter?.rowJson ?? "{}")).toHaveProperty("decision_id", letter?.decisionId);
      await log.close(1000);
    }, 120_000);

    // decision_log_rows_written_total added every row sent, also those the insert skipped: a
    // keyed batch answered by two processes counted twice (13,752 counted, 11,892 in the table).
    test("rows written counts the rows the table took, not rows already logged sent again", async () => {
      for (const kind of ["buffered", "write-through"] as const) {
        const metrics = new MetricsRegistry();
        const sink = decisionLogSink(async () => testDb.handle.db);
        const log =
          kind === "buffered"
            ? new BufferedAuditLog({ sink, logger: quiet, metrics })
            : new WriteThroughAuditLog({ sink, logger: quiet, metrics });
        const before = await testDb.handle.db.$count(decisionLog);
        const first = Array.from({ length: 100 }, (_, i) => row(`w-${kind}-${i}`));
        await log.record(first);
        // Re-sent (a lost acknowledgement, or a second process under the same key), some with
        // new rows beside them.
        await log.record(first.slice(0, 60));
        await Promise.all([log.record(first.slice(50)), log.record([row(`w-${kind}-new`)])]);
        const added = (await testDb.handle.db.$count(decisionLog)) - before;
        expect({ kind, added }).toEqual({ kind, added: 101 });
        expect(metrics.expose()).toMatch(/^decision_log_rows_written_total 101$/m);
        if (log instanceof BufferedAuditLog) await log.close(1000);
      }
    }, 60_000);
  });
}
