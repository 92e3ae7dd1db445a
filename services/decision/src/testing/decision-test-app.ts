// The decision app in this process for route tests: a fresh database (PGlite unless a driver is
// given; or another app's, as a second service on one store), the forecast contract stub answering
// in-process (or no forecast service at all), a quiet logger; close() drains the decision log and
// drops the database it made.
import type { Database, DatabaseDriver } from "@pp/shared/db/database.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { type ForecastStubOptions, forecastContractStub } from "./forecast-contract-stub.ts";

export interface DecisionTestApp {
  app: ReturnType<typeof createApp>;
  deps: DecisionDeps;
  testDb: TestDatabase;
  close(): Promise<void>;
}

export interface DecisionTestAppOptions {
  driver?: DatabaseDriver;
  /** false: no forecast service at all; else the stub, knowing these customers by id. */
  forecast?: boolean | Pick<ForecastStubOptions, "known">;
  sharing?: TestDatabase;
  /** The Workers' write-through decision log instead of group commit. */
  writeThrough?: boolean;
  /** The database as the service asks for it (default: the test database's handle). */
  database?: (testDb: TestDatabase) => () => Promise<Database>;
}

export async function openDecisionTestApp(
  env: Record<string, string>,
  options: DecisionTestAppOptions = {},
): Promise<DecisionTestApp> {
  const testDb = options.sharing ?? (await openTestDatabase(options.driver ?? "pglite"));
  const { forecast } = options;
  const stub =
    forecast === false ? null : forecastContractStub(typeof forecast === "object" ? forecast : {});
  const deps = buildDecisionDeps(parseConfig(env), {
    runtime: "test",
    database: options.database?.(testDb) ?? (async () => testDb.handle.db),
    ...(stub ? { forecastTransport: inProcessTransport(stub.app) } : {}),
    ...(options.writeThrough ? { writeThrough: true } : {}),
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  return {
    app: createApp(deps),
    deps,
    testDb,
    close: async () => {
      await deps.audit.close(5000);
      if (!options.sharing) await testDb.cleanup();
    },
  };
}
