// The decision log and the policy store on both drivers (API keys: services/decision/src/auth).

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../db/database.ts";
import type { NewDecisionLogRow } from "../db/schema.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { ANSWER_ROW, DecisionLogRepository, writeDeadLetters } from "./decision-log.ts";
import { PolicyStore } from "./policy-store.ts";
import { RegistryInputError, RegistryNotFoundError } from "./registry-errors.ts";

// Real databases on a shared 2-core machine: Bun's 5 s default is too tight for PGlite.
setDefaultTimeout(60_000);

function decision(customerId: string, minute: number): NewDecisionLogRow {
  return {
    decisionId: crypto.randomUUID(),
    decidedAt: new Date(Date.UTC(2026, 10, 28, 12, minute)),
    customerId,
    inputs: { horizonWeeks: 26, budget: 100 },
    chosenAction: minute % 2 ? "coupon" : "none",
    scores: { none: 0, coupon: 1.25 + minute },
    policyName: "expected-profit",
    policyVersion: 3,
    modelName: "cdnow",
    modelVersion: 7,
  };
}

for (const driver of testDrivers()) {
  describe(`decision log and policies on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
    }, 60_000);
    afterAll(async () => {
      await t?.cleanup();
    }, 30_000);

    test("decisions are appended in bulk and read back per customer, newest first", async () => {
      const log = new DecisionLogRepository(t.handle.db);
      const rows = Array.from({ length: 2500 }, (_, i) => decision(`c${i % 50}`, i % 60));
      expect(await log.insertMany(rows)).toBe(2500);
      expect(await log.insertMany([])).toBe(0);
      const forC7 = await log.findByCustomer("c7");
      expect(forC7).toHaveLength(50);
      expect(forC7.every((r) => r.customerId === "c7")).toBe(true);
      const times = forC7.map((r) => r.decidedAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const before = forC7[10]?.decidedAt;
      const page = await log.findByCustomer("c7", { limit: 5, ...(before ? { before } : {}) });
      expect(page).toHaveLength(5);
      expect(page.every((r) => before !== undefined && r.decidedAt < before)).toBe(true);
      const picked = rows[123];
      if (!picked) throw new Error("fewer rows than written");
      const [one, ...more] = await log.getMany([picked.decisionId, crypto.randomUUID()]);
      expect(more).toEqual([]);
      expect(one).toMatchObject({
        customerId: picked.customerId,
        chosenAction: picked.chosenAction,
        scores: picked.scores,
        inputs: picked.inputs,
        policyVersion: 3,
        modelVersion: 7,
      });
      expect(await log.getMany([crypto.randomUUID()])).toEqual([]);
    });

    test("a batch with one bad row is written all or not at all", async () => {
      const log = new DecisionLogRepository(t.handle.db);
      // Larger than one insert statement, with a row the database refuses (NUL) in the last one.
      const rows = Array.from({ length: 6000 }, (_, i) => decision("atomic", i % 60));
      rows[5900] = { ...decision("atomic", 5900 % 60), chosenAction: "bad\u0000action" };
      await expect(log.insertMany(rows)).rejects.toThrow();
      expect(await log.findByCustomer("atomic")).toEqual([]);
    });

    test("re-sending decisions already stored is harmless (the audit sink's retry)", async () => {
      const log = new DecisionLogRepository(t.handle.db);
      const rows = Array.from({ length: 1500 }, (_, i) => decision("resend", i % 60));
      await log.insertMany(rows.slice(0, 700));
      await log.insertMany(rows);
      const stored = await log.findByCustomer("resend", { limit: 10_000 });
      expect(stored).toHaveLength(1500);
      expect(new Set(stored.map((r) => r.decisionId)).size).toBe(1500);
    });

    test("a keyed request's rows are written only beside its answer row", async () => {
      const log = new DecisionLogRepository(t.handle.db);
      /** A keyed request's rows: the answer row first, the others naming it (sealRows' shape). */
      const keyed = (prefix: string, size: number, head: string, hash: string) =>
        Array.from({ length: size }, (_, i): NewDecisionLogRow => {
          const row = decision(`${prefix}-${i}`, i);
          return i === 0
            ? {
                ...row,
                decisionId: head,
                inputs: { request_sha256: hash },
                scores: { answer_json: "{}" },
              }
            : { ...row, inputs: { request_sha256: hash, [ANSWER_ROW]: head } };
        });
      const count = async (prefix: string) => {
        const [row] = await queryRows<{ n: number }>(
          t.handle.db,
          sql`select count(*)::int as n from decision_log where customer_id like ${`${prefix}-%`}`,
        );
        return Number(row?.n);
      };
      // Two requests under one key (one answer row id): the first wins, the second (longer)
      // writes none of its rows, in one statement after it or in the same statement.
      const head = crypto.randomUUID();
      await log.insertMany(keyed("won", 3, head, "h1"));
      await log.insertMany(keyed("lost", 8, head, "h2"));
      expect([await count("won"), await count("lost")]).toEqual([3, 0]);
      const both = crypto.randomUUID();
      await log.insertMany([...keyed("first", 2, both, "h1"), ...keyed("second", 5, both, "h2")]);
      expect([await count("first"), await count("second")]).toEqual([2, 0]);
      // Order-independent: the other rows before their answer row (a split group), and a re-send.
      const split = keyed("split", 6, crypto.randomUUID(), "h3");
      await log.insertMany(split.slice(3));
      await log.insertMany(split.slice(0, 3));
      await log.insertMany(split);
      expect(await count("split")).toBe(6);
      // Unkeyed rows beside them are written as ever.
      await log.insertMany([
        decision("plain-0", 1),
        ...keyed("late", 4, head, "h4"),
        decision("plain-1", 2),
      ]);
      expect([await count("plain"), await count("late")]).toEqual([2, 0]);
    });

    test("erasing a customer removes exactly their decisions and parked rows", async () => {
      const log = new DecisionLogRepository(t.handle.db);
      const victim = "erase-me";
      // Neighbours: a prefix, U+FFFD (what a lone surrogate would become), quotes, backslashes.
      const others = ["erase-me-too", "erase\uFFFDme", 'é 😀 "erase-me", \\', "1e308"];
      const rows = [victim, ...others].flatMap((id) =>
        Array.from({ length: 30 }, (_, i) => decision(id, i)),
      );
      await log.insertMany(rows);
      const park = (customerId: string, inputs: Record<string, unknown>) => ({
        row: { ...decision(customerId, 1), inputs },
        reason: "22P05 data_exception",
      });
      await writeDeadLetters(t.handle.db, [
        park(victim, { note: "bad\u0000text", big: 1e308 }),
        park(victim, { lone: "\ud800" }),
        // Another customer's row naming the victim in a nested key of the same name: kept.
        park("erase-me-too", { about: { customer_id: victim, x: 1 } }),
        park(victim, {}),
      ]);
      const count = async (id: string) => (await log.findByCustomer(id, { limit: 10_000 })).length;
      expect(await count(victim)).toBe(30);
      expect(await log.deadLettersOfCustomer(victim)).toHaveLength(3);
      expect(await log.eraseCustomer(victim)).toEqual({
        decisions: 30,
        deadLetters: 3,
        erasedBefore: null,
      });
      expect(await count(victim)).toBe(0);
      expect(await log.deadLettersOfCustomer(victim)).toEqual([]);
      for (const id of others) expect(await count(id)).toBe(30);
      expect(await log.deadLettersOfCustomer("erase-me-too")).toHaveLength(1);
      // Erased again (a retry): nothing left, and the first erasure's time says why.
      expect(await log.eraseCustomer(victim)).toEqual({
        decisions: 0,
        deadLetters: 0,
        erasedBefore: expect.any(Date),
      });
    });

    test("pruning deletes exactly the rows before the cutoff, in batches", async () => {
      const log = new DecisionLogRepository(t.handle.db);
      // In 2001, before every other test's rows (2026), so the cutoff touches these only.
      const at = (minute: number) => new Date(Date.UTC(2001, 0, 1, 0, minute));
      const rows = Array.from({ length: 120 }, (_, i) => ({
        ...decision(`prune-${i % 4}`, 0),
        decidedAt: at(i % 60),
      }));
      await log.insertMany(rows);
      await writeDeadLetters(t.handle.db, [
        { row: decision("prune-parked", 0), reason: "old" },
        { row: decision("prune-parked", 1), reason: "new" },
      ]);
      // Test set-up only: date one parked row back (failed_at is the time it was parked).
      await t.handle.db.execute(
        sql`update decision_log_dead_letter set failed_at = ${at(0).toISOString()}::timestamptz where reason = 'old'`,
      );
      const total = async () =>
        (
          await Promise.all(
            [0, 1, 2, 3].map((k) => log.findByCustomer(`prune-${k}`, { limit: 1000 })),
          )
        ).flat();
      // Strictly before 00:30: minutes 0..29, twice each = 60 rows, in batches of 7.
      const batches: { decisions: number; deadLetters: number }[] = [];
      const pruned = await log.pruneBefore(at(30), {
        batchRows: 7,
        onDeleted: (b) => batches.push(b),
      });
      expect(pruned).toEqual({ decisions: 60, deadLetters: 1 });
      // Each committed batch is reported: 8 of 7 and one of 4, the empty one that ends the loop,
      // then the parked rows.
      expect(batches.map((b) => b.decisions)).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 4, 0, 0]);
      expect(batches.map((b) => b.deadLetters)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
      const left = await total();
      expect(left).toHaveLength(60);
      expect(left.every((r) => r.decidedAt >= at(30))).toBe(true);
      expect((await log.deadLettersOfCustomer("prune-parked")).map((r) => r.reason)).toEqual([
        "new",
      ]);
      expect(await log.pruneBefore(at(30), { batchRows: 7 })).toEqual({
        decisions: 0,
        deadLetters: 0,
      });
      // Rows of the other tests (2026) are untouched.
      expect(await log.findByCustomer("resend", { limit: 10_000 })).toHaveLength(1500);
    });

    test("policies get versions per name; exactly one is active at a time", async () => {
      const store = new PolicyStore(t.handle.db);
      expect(await store.getActive()).toBeNull();
      const a1 = await store.add("rules", { threshold: 0.5 });
      const a2 = await store.add("rules", { threshold: 0.6 });
      const b1 = await store.add("budgeted", { budget: 1000 });
      expect([a1.version, a2.version, b1.version]).toEqual([1, 2, 1]);
      expect(a1.active).toBe(false);
      await store.activate("rules", 2);
      expect(await store.getActive()).toMatchObject({ name: "rules", version: 2 });
      await store.activate("budgeted", 1);
      const active = await store.getActive();
      expect(active).toMatchObject({ name: "budgeted", version: 1, definition: { budget: 1000 } });
      expect((await store.list()).filter((p) => p.active)).toHaveLength(1);
      expect((await store.list("rules")).map((p) => p.version)).toEqual([2, 1]);
      expect((await store.get("rules", 1))?.definition).toEqual({ threshold: 0.5 });
      await expect(store.activate("rules", 9)).rejects.toBeInstanceOf(RegistryNotFoundError);
      await expect(store.add("bad name", {})).rejects.toBeInstanceOf(RegistryInputError);
    });

    test("concurrent adds and activations keep versions distinct and one policy active", async () => {
      const store = new PolicyStore(t.handle.db);
      const added = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.add("race", { i })),
      );
      expect(added.map((p) => p.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      await Promise.all(added.map((p) => store.activate("race", p.version)));
      expect((await store.list()).filter((p) => p.active)).toHaveLength(1);
    });
  });
}
