// `ml forget` when the decision service keeps its embedded database apart (DECISION_DATA_DIR,
// a documented setting): the customer's decisions there must go too. The command erased only
// DATA_DIR's store, reported "0 decision(s)" and left every decision about the customer in the
// decision service's log (3 of 3 in a probe). And letter case: once a version in DATA_DIR's
// registry ignores it, the customer's decisions sent in any case are theirs, in that store too.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import {
  appendDecisions,
  DecisionLogRepository,
  writeDeadLetters,
} from "@pp/shared/registry/decision-log.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";

const root = resolve(import.meta.dirname, "../..");
let dataDir: string;
let decisionDir: string;
let decisions: DatabaseHandle;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pp-forget-data-"));
  decisionDir = mkdtempSync(join(tmpdir(), "pp-forget-decisions-"));
  decisions = await createDatabase({ dataDir: decisionDir });
  await decisions.migrate();
}, 60_000);
afterAll(async () => {
  await decisions?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(decisionDir, { recursive: true, force: true });
});

test("ml forget erases the customer's decisions in DECISION_DATA_DIR's store too, and counts them", async () => {
  const past = new Date(Date.now() - 60_000);
  await appendDecisions(decisions.db, [
    decisionRow("gone", past),
    decisionRow("gone", past),
    decisionRow("kept", past),
  ]);
  const env = { DATA_DIR: dataDir, DECISION_DATA_DIR: decisionDir, DATABASE_URL: "" };
  const run = await runBun(join(root, "ml/cli.ts"), ["forget", "gone"], env);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.stdout).toContain("2 decision(s)");
  const log = new DecisionLogRepository(decisions.db);
  expect(await log.findByCustomer("gone")).toHaveLength(0);
  expect(await log.findByCustomer("kept")).toHaveLength(1);
}, 120_000);

test("a registry version trained with --ignore-id-case: ml forget User@X.org erases their decisions in every letter case in DECISION_DATA_DIR's store", async () => {
  const registryStore = await createDatabase({ dataDir });
  try {
    await registryStore.migrate();
    const registry = new ModelRegistry(registryStore.db, new FileArtifactStore(join(dataDir, "a")));
    await registry.registerVersion("lower", {
      ...registrationInput(plainCustomers(["user@x.org", "z"]), true),
      dataWindow: { calibrationEnd: "1997-09-30", idsLowerCased: true },
    });
    const past = new Date(Date.now() - 60_000);
    // Sent for the customer in three spellings, and for somebody else.
    const sent = ["User@X.org", "USER@x.org", "user@x.org", "z"];
    await appendDecisions(
      decisions.db,
      sent.map((id) => decisionRow(id, past)),
    );
    await writeDeadLetters(decisions.db, [
      { row: decisionRow("uSeR@x.ORG", past), reason: "22P05" },
    ]);
    const env = { DATA_DIR: dataDir, DECISION_DATA_DIR: decisionDir, DATABASE_URL: "" };
    const run = await runBun(join(root, "ml/cli.ts"), ["forget", "User@X.org"], env);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("3 decision(s), 1 parked decision row(s)");
    const log = new DecisionLogRepository(decisions.db);
    const left = [];
    for (const id of sent) left.push(...(await log.findByCustomer(id)));
    expect(left.map((row) => row.customerId)).toEqual(["z"]);
  } finally {
    await registryStore.close();
  }
}, 120_000);
