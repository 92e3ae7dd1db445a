// `forgetCustomers` on both drivers: a customer's stored rows under every version of every model,
// their decisions and parked rows go in one step; everybody else's stay; the versions that held
// the customer get a new customers_revision (so services reload) and, on PostgreSQL, a production
// one notifies its model's name. And a bulk request: 5,000 of 20,000 customers at once.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import { decisionRow } from "../testing/decision-rows.ts";
import { registrationInput } from "../testing/registration-input.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { CustomerFeaturesRepository } from "./customer-features.ts";
import { DecisionLogRepository, writeDeadLetters } from "./decision-log.ts";
import { forgetCustomers, storedIdMatcher } from "./forget-customer.ts";
import { MODEL_PRODUCTION_CHANNEL, ModelRegistry } from "./model-registry.ts";

setDefaultTimeout(60_000);

const customers = (ids: string[]) =>
  ids.map((customerId, i) => ({
    customerId,
    summary: { frequency: i, recency: i, T: 10 + i, monetary: 5 },
    features: [i, 1e308, -0, 0.5],
  }));

const version = (ids: string[], promote: boolean) => registrationInput(customers(ids), promote);

const decision = (customerId: string) => decisionRow(customerId, new Date(), { modelName: "a" });

for (const driver of testDrivers()) {
  describe(`forgetCustomers on ${driver}`, () => {
    let t: TestDatabase;
    let dir: string;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      dir = mkdtempSync(join(tmpdir(), "pp-forget-"));
    });
    afterAll(async () => {
      await t?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    test("erases one customer everywhere, in one step, and nobody else", async () => {
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const victim = 'forget "me" é😀';
      const a1 = await registry.registerVersion("a", version([victim, "x", "y"], true));
      const a2 = await registry.registerVersion("a", version([victim, "x"], true)); // a1 archived
      const b1 = await registry.registerVersion("b", version(["x", "y", victim], true));
      const c1 = await registry.registerVersion("c", version(["x"], true)); // never held the victim
      const log = new DecisionLogRepository(db);
      // Another customer while no version ignores letter case: their decision stays.
      const otherCase = victim.toUpperCase();
      await log.insertMany([
        decision(victim),
        decision(victim),
        decision("x"),
        decision(otherCase),
      ]);
      await writeDeadLetters(db, [{ row: decision(victim), reason: "22P05" }]);

      const received: string[] = [];
      const listener = t.handle.listen?.(MODEL_PRODUCTION_CHANNEL, {
        onNotify: (name) => received.push(name),
        onListen: () => {},
      });
      try {
        while (listener && !listener.listening) await Bun.sleep(20);
        expect(await forgetCustomers(db, [victim, victim])).toEqual({
          versionIds: [a1.id, a2.id, b1.id].sort((p, q) => p - q),
          versions: [
            { model: "a", version: 1 },
            { model: "a", version: 2 },
            { model: "b", version: 1 },
          ],
          storedRows: 3,
          decisions: 2,
          deadLetters: 1,
          forgottenBefore: { customers: 0, lastAt: null },
        });
        if (listener) {
          const until = performance.now() + 10_000;
          while (received.length < 2 && performance.now() < until) await Bun.sleep(20);
          await Bun.sleep(150);
          // a2 and b1 are production; a1 (archived) and c1 (untouched) say nothing.
          expect(received.sort()).toEqual(["a", "b"]);
        }
      } finally {
        await listener?.close();
      }

      const features = new CustomerFeaturesRepository(db);
      for (const v of [a1, a2, b1]) {
        expect((await features.get(v.id, [victim])).size).toBe(0);
        expect((await registry.getVersion(v.modelName, v.version))?.customersRevision).toBe(1);
      }
      expect((await registry.getVersion("c", 1))?.customersRevision).toBe(0);
      expect([...(await features.get(a1.id, ["x", "y"])).keys()].sort()).toEqual(["x", "y"]);
      expect((await features.get(b1.id, ["x", "y"])).size).toBe(2);
      expect((await features.get(c1.id, ["x"])).size).toBe(1);
      expect(await log.findByCustomer(victim)).toEqual([]);
      expect(await log.deadLettersOfCustomer(victim)).toEqual([]);
      expect(await log.findByCustomer("x")).toHaveLength(1);
      expect(await log.findByCustomer(otherCase)).toHaveLength(1);

      // Again: nothing left to erase, no revision bumped.
      expect(await forgetCustomers(db, [victim])).toEqual({
        versionIds: [],
        versions: [],
        storedRows: 0,
        decisions: 0,
        deadLetters: 0,
        // Said so: a rerun of an erasure that landed is told it was done, and when.
        forgottenBefore: { customers: 1, lastAt: expect.any(Date) },
      });
      expect((await registry.getVersion("a", 2))?.customersRevision).toBe(1);
    });

    test("a version trained with --ignore-id-case forgets User@X.org stored as user@x.org, and its decisions in every spelling; a case-sensitive one keeps its own user@x.org", async () => {
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const lowered = await registry.registerVersion("lower", {
        ...version(["user@x.org", "z"], true),
        dataWindow: { calibrationEnd: "1997-09-30", idsLowerCased: true },
      });
      const exact = await registry.registerVersion(
        "exact",
        version(["user@x.org", "User@X.org"], true),
      );
      // Decisions were sent for the customer in three spellings, and for somebody else.
      const log = new DecisionLogRepository(db);
      await log.insertMany(["User@X.org", "USER@x.org", "user@x.org", "z"].map(decision));
      await writeDeadLetters(db, [
        { row: decision("uSeR@x.ORG"), reason: "22P05" },
        { row: decision("user@x.org.uk"), reason: "22P05" },
      ]);
      const gone = await forgetCustomers(db, ["User@X.org"]);
      expect(gone.decisions).toBe(3);
      expect(gone.deadLetters).toBe(1);
      for (const id of ["User@X.org", "USER@x.org", "user@x.org", "uSeR@x.ORG"]) {
        expect(await log.findByCustomer(id)).toEqual([]);
        expect(await log.deadLettersOfCustomer(id)).toEqual([]);
      }
      expect(await log.findByCustomer("z")).toHaveLength(1);
      expect(await log.deadLettersOfCustomer("user@x.org.uk")).toHaveLength(1);
      expect(gone.versions).toEqual([
        { model: "exact", version: 1 },
        { model: "lower", version: 1 },
      ]);
      expect(gone.storedRows).toBe(2);
      const features = new CustomerFeaturesRepository(db);
      expect([...(await features.get(lowered.id, ["user@x.org", "z"])).keys()]).toEqual(["z"]);
      expect([...(await features.get(exact.id, ["user@x.org", "User@X.org"])).keys()]).toEqual([
        "user@x.org",
      ]);
    });

    test("an id given decomposed (NFD) forgets the customer stored composed (NFC), and one stored as given", async () => {
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const nfc = "José Müller";
      const nfd = nfc.normalize("NFD");
      const composed = await registry.registerVersion("nfc", version([nfc, "keep"], true));
      const asWritten = await registry.registerVersion("nfd", version([nfd, "keep"], true));
      await new DecisionLogRepository(db).insertMany([nfc, nfd, "keep"].map(decision));
      const gone = await forgetCustomers(db, [nfd]);
      expect(gone.storedRows).toBe(2);
      expect(gone.decisions).toBe(2);
      // Given composed, the decisions /decision logged decomposed (as sent) go too.
      const zoe = "Zoë Brontë";
      await new DecisionLogRepository(db).insertMany([zoe.normalize("NFD"), "keep"].map(decision));
      expect((await forgetCustomers(db, [zoe])).decisions).toBe(1);
      const features = new CustomerFeaturesRepository(db);
      expect([...(await features.get(composed.id, [nfc, "keep"])).keys()]).toEqual(["keep"]);
      expect([...(await features.get(asWritten.id, [nfd, "keep"])).keys()]).toEqual(["keep"]);
    });

    test("an id a float export writes (17850.0, 17850,0) is the whole number the readers stored, both ways", async () => {
      // /forecast finds 17850 for a CRM's 17850.0, and /decision logs the id as sent: forgetting
      // 17850 left those decisions; forgetting 17850.0 left the stored customer.
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const v = await registry.registerVersion(
        "floats",
        version(["17850", "178500", "keep"], true),
      );
      const log = new DecisionLogRepository(db);
      await log.insertMany(
        ["17850.0", "17850,0", "17850.00", "17850", "178500.0", "1785", "keep"].map(decision),
      );
      const asked = await forgetCustomers(db, ["17850.0"]);
      expect(asked.storedRows).toBe(1);
      expect(asked.decisions).toBe(4);
      const features = new CustomerFeaturesRepository(db);
      expect([...(await features.get(v.id, ["17850", "178500", "keep"])).keys()]).toEqual([
        "178500",
        "keep",
      ]);
      await log.insertMany(["-42.0", "-42"].map(decision));
      expect((await forgetCustomers(db, ["-42"])).decisions).toBe(2);
      expect((await log.findByCustomer("178500.0")).length).toBe(1);
      expect((await log.findByCustomer("1785")).length).toBe(1);
    });

    test("hostile ids through the lower-cased erase: quotes, an accented capital, an emoji, a 1e308", async () => {
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const asked = ['User "O\'Brien" É😀@X.org', "1E308", "\ud83d\ude00ÄÖ"];
      const stored = asked.map((id) => id.toLowerCase());
      const lowered = await registry.registerVersion("hostile-lower", {
        ...version([...stored, "keep"], true),
        dataWindow: { calibrationEnd: "1997-09-30", idsLowerCased: true },
      });
      await new DecisionLogRepository(db).insertMany([...stored, "keep"].map(decision));
      const gone = await forgetCustomers(db, asked);
      expect(gone.storedRows).toBe(3);
      expect(gone.decisions).toBe(3);
      const left = await new CustomerFeaturesRepository(db).get(lowered.id, [...stored, "keep"]);
      expect([...left.keys()]).toEqual(["keep"]);
    });

    test("DELETE /admin/customers/:id/decisions (eraseCustomer) erases the id's NFC and NFD spellings, as ml forget does", async () => {
      // /decision logs an id as sent: "José" sent decomposed by one client and composed by
      // another is two spellings of one customer. The erasure by the admin route erased only the
      // spelling given (0 of the decisions logged decomposed); ml forget erased both.
      const log = new DecisionLogRepository(t.handle.db);
      const nfc = "Zoë Núñez";
      await log.insertMany([nfc.normalize("NFD"), nfc, "keep-zoe"].map(decision));
      expect((await log.eraseCustomer(nfc)).decisions).toBe(2);
      expect(await log.findByCustomer(nfc.normalize("NFD"))).toEqual([]);
      expect((await log.findByCustomer("keep-zoe")).length).toBe(1);
    });

    test("the lower-cased erase finds İ and a final Σ as the reader lower-cased them", async () => {
      // The reader's lower() (DuckDB) stores "istanbul@x.tr" and "οδυσσευσ@x.gr"; toLowerCase
      // gave "i̇stanbul@x.tr" and "οδυσσευς@x.gr": the ids as the log wrote them erased nothing.
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const asked = ["İSTANBUL@x.tr", "ΟΔΥΣΣΕΥΣ@x.gr"];
      const stored = ["istanbul@x.tr", "οδυσσευσ@x.gr"];
      const lowered = await registry.registerVersion("turkish-greek", {
        ...version([...stored, "keep"], true),
        dataWindow: { calibrationEnd: "1997-09-30", idsLowerCased: true },
      });
      const gone = await forgetCustomers(db, asked);
      expect(gone.storedRows).toBe(2);
      const left = await new CustomerFeaturesRepository(db).get(lowered.id, [...stored, "keep"]);
      expect([...left.keys()]).toEqual(["keep"]);
    });

    // `ml forget` while a training registered: the customer was erased from the versions there
    // were, and the new production version held them again. A registration now leaves out the
    // customers erased in the last day, and an erasure under way or started beside it takes turns
    // with it (customer-erasures.ts turnBesideErasures / erasureTurn).
    test("a registration after or during an erasure does not store the customer again", async () => {
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      await registry.registerVersion("r", version(["gone-1", "kept"], true));
      await forgetCustomers(db, ["gone-1"]);
      // Trained from a log read before the erasure (or still holding them): left out.
      const after = await registry.registerVersion("r", version(["gone-1", "kept"], true));
      expect(after.customerFeaturesWritten).toBe(1);
      const stored = async (id: number) => [
        ...(await new CustomerFeaturesRepository(db).get(id, ["gone-1", "gone-2", "kept"])).keys(),
      ];
      expect(await stored(after.id)).toEqual(["kept"]);

      if (driver !== "postgres") return; // PGlite runs one transaction at a time
      // Erased while the registration's transaction is open: the erasure waits for its commit,
      // then erases under the new version too.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let paused = () => {};
      const atCommit = new Promise<void>((resolve) => {
        paused = resolve;
      });
      const slow = new ModelRegistry(db, registry.store, {
        faultHook: async (point) => {
          if (point !== "beforeCommit") return;
          paused();
          await held;
        },
      });
      const registering = slow.registerVersion("r", version(["gone-2", "kept"], true));
      await atCommit;
      const forgetting = forgetCustomers(db, ["gone-2"]);
      await Bun.sleep(200);
      release();
      const during = await registering;
      const erased = await forgetting;
      expect(erased.versionIds).toContain(during.id);
      expect(await stored(during.id)).toEqual(["kept"]);
    });

    // The admin route erases a customer's decisions only. It wrote the same marker as `ml
    // forget`, and every version registered within the day left the customer out: /decision
    // answered 404 for them after the next promotion (2,357 customers trained, 2,353 stored).
    test("an erasure of decisions only does not leave the customer out of the next registration", async () => {
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const log = new DecisionLogRepository(db);
      await log.insertMany(["decided-only", "forgotten-too"].map(decision));
      expect((await log.eraseCustomer("decided-only")).decisions).toBe(1);
      await forgetCustomers(db, ["forgotten-too"]);
      const after = await registry.registerVersion(
        "decisions-only",
        version(["decided-only", "forgotten-too", "kept"], true),
      );
      expect(after.customerFeaturesWritten).toBe(2);
      const stored = await new CustomerFeaturesRepository(db).get(after.id, [
        "decided-only",
        "forgotten-too",
        "kept",
      ]);
      expect([...stored.keys()].sort()).toEqual(["decided-only", "kept"]);
      // A later decisions-only erasure of a forgotten customer keeps them forgotten.
      await log.eraseCustomer("forgotten-too");
      const again = await registry.registerVersion(
        "decisions-only",
        version(["forgotten-too"], true),
      );
      expect(again.customerFeaturesWritten).toBe(0);
      // Decisions about the erased customer still in flight are skipped as before.
      await log.insertMany([
        decisionRow("decided-only", new Date(Date.now() - 5000), { modelName: "a" }),
      ]);
      expect(await log.findByCustomer("decided-only")).toEqual([]);
    });

    test("a bulk request: 5,000 of 20,000 customers, their rows only", async () => {
      const db = t.handle.db;
      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      const everybody = Array.from({ length: 20_000 }, (_, i) => `bulk-${i}`);
      const v = await registry.registerVersion("bulk", version(everybody, true));
      const leaving = everybody.filter((_, i) => i % 4 === 1);
      await new DecisionLogRepository(db).insertMany(everybody.slice(0, 2000).map(decision));
      const started = performance.now();
      const gone = await forgetCustomers(db, leaving);
      console.log(
        `${driver}: forgot 5,000 of 20,000 stored customers in ${Math.round(performance.now() - started)} ms`,
      );
      expect(gone).toEqual({
        versionIds: [v.id],
        versions: [{ model: "bulk", version: 1 }],
        storedRows: 5000,
        decisions: 500,
        deadLetters: 0,
        forgottenBefore: { customers: 0, lastAt: null },
      });
      const features = new CustomerFeaturesRepository(db);
      const left = await features.get(v.id, everybody);
      expect(left.size).toBe(15_000);
      expect(leaving.some((id) => left.has(id))).toBe(false);
    });
  });
}

test("storedIdMatcher: ids that differ only in case are one customer only under a version read lower-cased", () => {
  const asWritten = storedIdMatcher(["User@X.org", "Jose\u0301"], false);
  expect(["User@X.org", "José", "Jose\u0301"].map(asWritten)).toEqual([true, true, true]);
  expect(["user@x.org", "USER@x.org", "JOSÉ"].map(asWritten)).toEqual([false, false, false]);
  const folded = storedIdMatcher(["User@X.org", "İSTANBUL@x.tr"], true);
  expect(["user@x.org", "USER@x.org", "istanbul@x.tr"].map(folded)).toEqual([true, true, true]);
  expect(folded("user@y.org")).toBe(false);
});
