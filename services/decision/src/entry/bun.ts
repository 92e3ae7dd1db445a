// Bun entry (the default): `bun services/decision/src/entry/bun.ts`.
import { bunServeOptions } from "@pp/shared/http/bun-serve-options.ts";
import { withHostlessRequests } from "@pp/shared/http/request-without-host.ts";
import { configOrExit, listenOrExit } from "@pp/shared/http/start-up.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { stopWithNpmScript } from "@pp/shared/process/parent-watch.ts";
import { createApp } from "../app.ts";
import { startRetention } from "../audit/decision-log-retention.ts";
import { handlerTimeLimits, parseConfig } from "../config.ts";
import { buildDecisionDeps, serviceName } from "../deps.ts";
import { entryDatabase, withUsableStore } from "../store/entry-database.ts";
import { onStopSignal } from "./graceful-stop.ts";

const config = configOrExit(
  () => withUsableStore(parseConfig(process.env), process.env),
  process.exit,
);
// Bun drops a request unanswered past its idleTimeout: raised to cover the handlers' own limits.
const serveOptions = configOrExit(
  () => bunServeOptions(config, handlerTimeLimits(config)),
  process.exit,
);
const logger = createLogger({
  level: config.LOG_LEVEL,
  fields: { service: serviceName, runtime: "bun" },
});
const store = entryDatabase(config, logger);
const deps = buildDecisionDeps(config, {
  runtime: "bun",
  database: store.database,
  freeDiskBytes: () => store.freeDiskBytes(),
  overrides: { logger },
});
// A key revoked or rotated by another process works here no longer than the notification takes
// (PostgreSQL; elsewhere, and while the listener is away, the ring checks each second).
store.followApiKeys(deps.apiKeys);
const app = createApp(deps);
// Deletes decisions older than DECISION_LOG_RETENTION_DAYS, at start and hourly (unset: none).
const stopRetention = startRetention(deps, config.DECISION_LOG_RETENTION_DAYS);
const server = listenOrExit(
  () =>
    Bun.serve({
      port: config.PORT,
      hostname: config.HOST,
      // Body size, slow clients and slow handlers are the app's to answer (JSON 413/408/504), not Bun's.
      ...serveOptions,
      fetch: withHostlessRequests(app.fetch),
    }),
  { host: config.HOST, port: config.PORT },
  process.exit,
);
deps.logger.info("listening", { port: server.port, host: config.HOST });
// Opened now, in the background: the first /ready finds it open (see entry-database.ts).
store.openSoon();

const stop = onStopSignal({
  logger,
  audit: deps.audit,
  // Bun's stop() without `true` lets the requests in flight finish.
  stopAccepting: () => server.stop(),
  stopRetention,
  closeDatabase: () => store.close(),
  exit: (code) => process.exit(code),
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, stop);
// Started by `npm run start:decision`: stop once npm is gone (its shell drops the SIGTERM).
stopWithNpmScript(() => process.kill(process.pid, "SIGTERM"));
