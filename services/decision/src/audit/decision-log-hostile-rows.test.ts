// Pins what the decision log sink stores, every column as the database prints it, for a batch of
// hostile but storable values (quotes, backslashes, emoji, separators, extreme numbers, keys named
// like columns, a keyed request, campaign and exploration columns): the same text as Drizzle's own
// insert of the same rows into a second database. The rows of an erased customer are skipped and
// named, and a NUL is refused with the same SQLSTATE as before. On PGlite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "@pp/shared/db/database.ts";
import { queryRows } from "@pp/shared/db/database.ts";
import { decisionLog, type NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { errorChain } from "@pp/shared/errors/error-chain.ts";
import { eraseCustomerDecisions } from "@pp/shared/registry/decision-log.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { decisionLogSink } from "./decision-log-sink.ts";

const HOSTILE = [
  "",
  'quote " and \\ backslash \\" \\u0041',
  "line\u2028sep\u2029tab\t\r\nend",
  "emoji 🙂👩‍👩‍👧 and \uFFFF \u007F \u0001",
  "Jose\u0301 / José / ÅNGSTRÖM / ß / İ",
  "a",
  "null",
  "x".repeat(5000),
];
const NUMBERS = [1e308, 5e-324, -0, 0.1 + 0.2, Number.MAX_SAFE_INTEGER + 2, 1e21, -1.5e-7, 0];

/** Row i of the batch: every column varies with i, hostile strings in each text field. */
function hostileRow(i: number, answerRow: string, decidedAt: Date): NewDecisionLogRow {
  const text = HOSTILE[i % HOSTILE.length] ?? "";
  const number = NUMBERS[i % NUMBERS.length] ?? 0;
  const campaign = i % 3 !== 0;
  return {
    decisionId: crypto.randomUUID(),
    decidedAt: new Date(decidedAt.getTime() + i),
    customerId: `${text}#${i}`,
    inputs: {
      kind: "batch",
      // Keys named like the payload's own, hostile keys, nesting, numbers, nulls.
      decision_id: text,
      a: number,
      [text]: [text, number, null, true, { b: { c: [number] } }],
      "": { customer_id: text },
      request_sha256: "f".repeat(64),
      ...(i === 0 ? {} : { answer_row: answerRow }),
    },
    chosenAction: i % 4 === 0 ? "none" : text,
    scores: { options: [{ action: text, cost: number, profit: -number }], selected: null },
    policyName: text,
    policyVersion: i % 2 ? 2_147_483_647 : -2_147_483_648,
    modelName: `${text}-model`,
    modelVersion: i,
    ...(campaign
      ? {
          campaignId: text,
          assignmentGroup: i % 2 ? "control" : "treated",
          wouldHaveAction: text,
          explored: i % 2 === 0,
          propensity: i % 5 === 0 ? 0 : Math.abs(number) || 5e-324,
        }
      : {}),
  };
}

/** A keyed batch: row 0 is the answer row, the others name it. */
function hostileBatch(n: number): NewDecisionLogRow[] {
  const head = crypto.randomUUID();
  const at = new Date(Date.now() - 60_000);
  const rows = Array.from({ length: n }, (_, i) => hostileRow(i, head, at));
  const first = rows[0];
  if (first) rows[0] = { ...first, decisionId: head, inputs: { ...first.inputs, x: "y" } };
  return rows;
}

/** Every column of these decisions as the database prints it, in decision id order. */
async function printed(db: Database, ids: readonly string[]): Promise<string[][]> {
  const rows = await queryRows<Record<string, string | null>>(
    db,
    sql`select decision_id::text, decided_at::text, customer_id, inputs::text, chosen_action,
      scores::text, policy_name, policy_version::text, model_name, model_version::text,
      campaign_id, assignment_group, would_have_action, explored::text, propensity::text
    from ${decisionLog}
    where decision_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)
    order by decision_id`,
  );
  return rows.map((row) => Object.values(row).map((v) => v ?? "<null>"));
}

for (const driver of testDrivers()) {
  describe(`decision log rows of hostile values on ${driver}`, () => {
    let sinkDb: TestDatabase;
    let drizzleDb: TestDatabase;
    beforeAll(async () => {
      [sinkDb, drizzleDb] = await Promise.all([openTestDatabase(driver), openTestDatabase(driver)]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([sinkDb?.cleanup(), drizzleDb?.cleanup()]);
    });

    test("stored as Drizzle's insert stores them; erased rows skipped and named", async () => {
      const rows = hostileBatch(120);
      const erased = rows[7] as NewDecisionLogRow;
      await sinkDb.handle.db.transaction((tx) =>
        eraseCustomerDecisions(tx, [erased.customerId], { forgotten: false }),
      );
      const sink = decisionLogSink(async () => sinkDb.handle.db);
      const outcome = await sink.write(rows);
      expect(outcome).toEqual({ written: rows.length - 1, erased: [erased.decisionId] });
      // Sent again: nothing new, the erased row still named.
      expect(await sink.write(rows)).toEqual({ written: 0, erased: [erased.decisionId] });
      const kept = rows.filter((r) => r !== erased);
      await drizzleDb.handle.db.insert(decisionLog).values(kept);
      const ids = rows.map((r) => r.decisionId);
      const stored = await printed(sinkDb.handle.db, ids);
      expect(stored.length).toBe(kept.length);
      expect(stored).toEqual(await printed(drizzleDb.handle.db, ids));
    });

    test("an untimed row takes now(); NUL and lone surrogates refused with the SQLSTATE they had", async () => {
      const [row] = hostileBatch(1);
      const untimed = { ...(row as NewDecisionLogRow), decidedAt: undefined };
      const before = Date.now();
      const sink = decisionLogSink(async () => sinkDb.handle.db);
      expect(await sink.write([untimed])).toEqual({ written: 1, erased: [] });
      const [stored] = await printed(sinkDb.handle.db, [untimed.decisionId]);
      expect(new Date(stored?.[1] ?? "").getTime()).toBeGreaterThanOrEqual(before - 60_000);
      // Refused as before (the audit log parks such rows): NUL, lone surrogates of either half,
      // a NUL inside inputs; inputs null past the types fails before the database (no SQLSTATE).
      const refusals: unknown[][] = [];
      const hostile: Array<Partial<NewDecisionLogRow>> = [
        { customerId: "nul\u0000id" },
        { customerId: "lone\uD800" },
        { customerId: "low\uDC00 half" },
        { inputs: null as unknown as NewDecisionLogRow["inputs"] },
        { inputs: { nested: "nul\u0000" } },
      ];
      for (const change of hostile) {
        const row = { ...untimed, decisionId: crypto.randomUUID(), ...change };
        refusals.push(
          await sink.write([row]).then(
            () => ["written"],
            (err: unknown) => errorChain(err).map((e) => (e as { code?: unknown }).code),
          ),
        );
      }
      const sqlstates = refusals.map((codes) => [...codes].filter((c) => typeof c === "string"));
      expect(sqlstates).toEqual([["22P05"], ["22P02"], ["22P02"], [], ["22P05"]]);
    });
  });
}
