// What a customer's lookup lists is what its erasure erases (GET and DELETE
// /admin/customers/:id/decisions): every Unicode spelling of the id, and once a version was
// trained with --ignore-id-case every letter case too (User@X.org and user@x.org are then one
// customer, and eraseCustomer erased the decisions logged as user@x.org that the lookup of
// User@X.org did not list).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import { decisionRow } from "../testing/decision-rows.ts";
import { registrationInput } from "../testing/registration-input.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { DecisionLogRepository, writeDeadLetters } from "./decision-log.ts";
import { ModelRegistry } from "./model-registry.ts";

setDefaultTimeout(60_000);

const decision = (customerId: string) => decisionRow(customerId, new Date(), { modelName: "a" });
const customers = (ids: string[]) =>
  ids.map((customerId, i) => ({
    customerId,
    summary: { frequency: i, recency: i, T: 10 + i, monetary: 5 },
    features: [i, 1, 0, 0.5],
  }));

for (const driver of testDrivers()) {
  describe(`a customer's decisions on ${driver}`, () => {
    let t: TestDatabase;
    let dir: string;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      dir = mkdtempSync(join(tmpdir(), "pp-lookup-"));
    });
    afterAll(async () => {
      await t?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    test("the lookup lists what the erasure erases: spellings, then letter cases", async () => {
      const db = t.handle.db;
      const log = new DecisionLogRepository(db);
      const nfc = "Zoë@X.org".normalize("NFC");
      const spellings = [nfc, nfc.normalize("NFD"), "zoë@x.org", "ZOË@X.ORG".normalize("NFD")];
      await log.insertMany([...spellings, "zoë@x.org.uk"].map(decision));
      await writeDeadLetters(db, [
        { row: decision(nfc.normalize("NFD")), reason: "22P05" },
        { row: decision("zoë@x.org"), reason: "22P05" },
      ]);
      // No version ignores letter case: the NFC and NFD spellings of the id asked.
      expect(await log.findByCustomer(nfc)).toHaveLength(2);
      expect(await log.deadLettersOfCustomer(nfc)).toHaveLength(1);

      const registry = new ModelRegistry(db, new FileArtifactStore(dir));
      await registry.registerVersion("lower", {
        ...registrationInput(customers(["zoë@x.org"]), true),
        dataWindow: { calibrationEnd: "1997-09-30", idsLowerCased: true },
      });
      // Now every letter case is the customer, as eraseCustomer erases.
      const listed = (await log.findByCustomer(nfc)).map((r) => r.customerId).sort();
      expect(listed).toEqual([...spellings].sort());
      expect(await log.deadLettersOfCustomer(nfc)).toHaveLength(2);
      const erased = await log.eraseCustomer(nfc);
      expect(erased).toEqual({ decisions: listed.length, deadLetters: 2, erasedBefore: null });
      expect(await log.findByCustomer("zoë@x.org.uk")).toHaveLength(1);
    });
  });
}
