// The rule learnt from the forecast service: recorded once in the decision store, not lost when
// the store is away at the first folding answer (the decision still stands; a later answer
// records it), never recorded from a case-sensitive model, and asked of /model-info before a
// customer lookup when no answer has told it yet (the forecast service away: nothing recorded,
// the rule "unknown" in a store of decisions alone, the registry's versions' rule in its own).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { idsAnyCase, stateIdCase } from "@pp/shared/registry/decision-id-case.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { CircuitBreaker } from "../forecast-client/circuit-breaker.ts";
import type { ForecastClient } from "../forecast-client/forecast-client.ts";
import type { ForecastResponse } from "../forecast-client/forecast-contract.ts";
import { askIdsLowerCased } from "../forecast-client/model-id-case.ts";
import { IdCaseRule } from "./id-case-rule.ts";

let t: TestDatabase;
beforeEach(async () => {
  t = await openTestDatabase("pglite");
});
afterEach(async () => {
  await t?.cleanup();
});

const quiet = createLogger({ sink: () => {} });
const request = { horizon: { value: 4, unit: "week" as const }, customers: [] };

/** A forecast client answering with this model. */
function answering(model: ForecastResponse["model"]): ForecastClient {
  return {
    breaker: new CircuitBreaker({}),
    forecast: async () => ({ model, forecasts: [] }),
  };
}

test("a case-sensitive model's answers record nothing", async () => {
  const rule = new IdCaseRule({
    database: async () => t.handle.db,
    logger: quiet,
    ask: async () => false,
  });
  await rule
    .learningFrom(answering({ name: "m", version: 1, ids_lower_cased: false }))
    .forecast(request);
  expect(await idsAnyCase(t.handle.db)).toBe(false);
});

test("the store away at the first folding answer: the answer stands, a later one records", async () => {
  const lines: string[] = [];
  let storeUp = false;
  const rule = new IdCaseRule({
    database: async () => {
      if (!storeUp) throw new Error("database unreachable");
      return t.handle.db;
    },
    logger: createLogger({ sink: (line) => lines.push(line) }),
    ask: async () => null,
    retryAfterMs: 0,
  });
  const client = rule.learningFrom(answering({ name: "m", version: 2, ids_lower_cased: true }));
  expect((await client.forecast(request)).model.version).toBe(2);
  expect(lines.join("\n")).toContain("could not record");
  expect(await idsAnyCase(t.handle.db)).toBe(false);
  storeUp = true;
  await client.forecast(request);
  expect(await idsAnyCase(t.handle.db)).toBe(true);
});

test("a failed write is not tried again on every answer (no attempt and log line per decision)", async () => {
  const lines: string[] = [];
  const rule = new IdCaseRule({
    database: async () => {
      throw new Error("database unreachable");
    },
    logger: createLogger({ sink: (line) => lines.push(line) }),
    ask: async () => null,
  });
  const client = rule.learningFrom(answering({ name: "m", version: 2, ids_lower_cased: true }));
  for (let i = 0; i < 5; i++) await client.forecast(request);
  expect(lines.filter((line) => line.includes("could not record"))).toHaveLength(1);
});

test("before a lookup: /model-info is asked when nothing is recorded, and its true recorded", async () => {
  let asked = 0;
  const model = (folds: boolean | undefined) => async (req: Request) => {
    asked++;
    expect(new URL(req.url).pathname).toBe("/model-info");
    expect(req.headers.get("x-api-key")).toBe("fk");
    return Response.json(folds === undefined ? {} : { ids_lower_cased: folds });
  };
  const ask = (folds: boolean | undefined) => () =>
    askIdsLowerCased({ transport: model(folds), baseUrl: "http://f", apiKey: "fk" });
  const db = async () => t.handle.db;
  // An older forecast service (no field) and a case-sensitive one: nothing recorded.
  const older = new IdCaseRule({ database: db, logger: quiet, ask: ask(undefined) });
  expect(await older.forCustomerLookup()).toBe("unknown");
  const exact = new IdCaseRule({ database: db, logger: quiet, ask: ask(false) });
  expect(await exact.forCustomerLookup()).toBe("exact");
  expect(await idsAnyCase(t.handle.db)).toBe(false);
  const folding = new IdCaseRule({ database: db, logger: quiet, ask: ask(true) });
  expect(await folding.forCustomerLookup()).toBe("any_case");
  expect(await idsAnyCase(t.handle.db)).toBe(true);
  // Known now: not asked again.
  const before = asked;
  expect(await folding.forCustomerLookup()).toBe("any_case");
  expect(asked).toBe(before);
});

test("before a lookup with the forecast service away: nothing recorded, no failure", async () => {
  const rule = new IdCaseRule({
    database: async () => t.handle.db,
    logger: quiet,
    ask: () =>
      askIdsLowerCased({
        transport: async () => {
          throw new TypeError("connection refused");
        },
      }),
  });
  expect(await rule.forCustomerLookup()).toBe("unknown");
  expect(await idsAnyCase(t.handle.db)).toBe(false);
});

test("the forecast service away, a store holding the registry's versions says their rule", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-case-rule-"));
  try {
    const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(dir));
    const customers = plainCustomers(["a"]);
    await registry.registerVersion("sensitive", registrationInput(customers, true));
    const away = async () => null;
    const rule = () =>
      new IdCaseRule({ database: async () => t.handle.db, logger: quiet, ask: away });
    // Versions here, none folding case: the store is the registry's, and its rule is exact.
    expect(await rule().forCustomerLookup()).toBe("exact");
    await registry.registerVersion("folding", {
      ...registrationInput(customers, true),
      dataWindow: { calibrationEnd: "1997-09-30", idsLowerCased: true },
    });
    expect(await rule().forCustomerLookup()).toBe("any_case");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an operator's rule and the forecast service disagree: the one taking more ids wins", async () => {
  let says: boolean | null = null;
  const rule = () =>
    new IdCaseRule({ database: async () => t.handle.db, logger: quiet, ask: async () => says });
  expect(await rule().forCustomerLookup()).toBe("unknown");
  // Stated exact: taken while the forecast service cannot say, no warning...
  await stateIdCase(t.handle.db, "exact");
  expect(await rule().forCustomerLookup()).toBe("exact");
  // ...and overridden (recorded) once it says the model folds case.
  says = true;
  expect(await rule().forCustomerLookup()).toBe("any_case");
  says = false;
  expect(await rule().forCustomerLookup()).toBe("any_case");
  expect(await stateIdCase(t.handle.db, "exact")).toBeNull();
});

test("a stated any_case holds though the forecast service says its model is case-sensitive", async () => {
  await stateIdCase(t.handle.db, "any_case");
  const rule = new IdCaseRule({
    database: async () => t.handle.db,
    logger: quiet,
    ask: async () => false,
  });
  expect(await rule.forCustomerLookup()).toBe("any_case");
});
