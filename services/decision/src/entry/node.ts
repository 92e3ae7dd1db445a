// Node entry: `node --import tsx services/decision/src/entry/node.ts`.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { configOrExit, onListenError } from "@pp/shared/http/start-up.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "../app.ts";
import { startRetention } from "../audit/decision-log-retention.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, serviceName } from "../deps.ts";
import { entryDatabase, withUsableStore } from "../store/entry-database.ts";
import { onStopSignal } from "./graceful-stop.ts";

const config = configOrExit(
  () => withUsableStore(parseConfig(process.env), process.env),
  process.exit,
);
const logger = createLogger({
  level: config.LOG_LEVEL,
  fields: { service: serviceName, runtime: "node" },
});
const store = entryDatabase(config, logger);
const deps = buildDecisionDeps(config, {
  runtime: "node",
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
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  deps.logger.info("listening", { port: (info as AddressInfo).port, host: config.HOST });
  // Opened now, in the background: the first /ready finds it open (see entry-database.ts).
  store.openSoon();
});
// A taken port is an "error" event of the server: one line and exit 1, not a stack trace.
server.on("error", onListenError({ host: config.HOST, port: config.PORT }, process.exit));

const stop = onStopSignal({
  logger,
  audit: deps.audit,
  // close() stops accepting and calls back once every connection has ended.
  stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
  stopRetention,
  closeDatabase: () => store.close(),
  exit: (code) => process.exit(code),
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, stop);
