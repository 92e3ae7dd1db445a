// Deno entry: `deno run --allow-net --allow-env --allow-read services/decision/src/entry/deno.ts`
// (decisions need the database too: add --allow-write --allow-sys --allow-run for PGlite, or DATABASE_URL).

import type { DenoRuntime } from "@pp/shared/http/deno-runtime.ts";
import { configOrExit, listenOrExit } from "@pp/shared/http/start-up.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { stopWithNpmScript } from "@pp/shared/process/parent-watch.ts";
import { createApp } from "../app.ts";
import { startRetention } from "../audit/decision-log-retention.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, serviceName } from "../deps.ts";
import { entryDatabase, withUsableStore } from "../store/entry-database.ts";
import { onStopSignal } from "./graceful-stop.ts";

declare const Deno: DenoRuntime;

const env = Deno.env.toObject();
const config = configOrExit(() => withUsableStore(parseConfig(env), env), Deno.exit);
const logger = createLogger({
  level: config.LOG_LEVEL,
  fields: { service: serviceName, runtime: "deno" },
});
const store = entryDatabase(config, logger);
const deps = buildDecisionDeps(config, {
  runtime: "deno",
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
    Deno.serve(
      {
        port: config.PORT,
        hostname: config.HOST,
        onListen: ({ port }) => {
          deps.logger.info("listening", { port, host: config.HOST });
          // Opened now, in the background: the first /ready finds it open (entry-database.ts).
          store.openSoon();
        },
      },
      app.fetch,
    ),
  { host: config.HOST, port: config.PORT },
  Deno.exit,
);

const stop = onStopSignal({
  logger,
  audit: deps.audit,
  // shutdown() stops accepting and resolves once the requests in flight are answered.
  stopAccepting: () => server.shutdown(),
  stopRetention,
  closeDatabase: () => store.close(),
  exit: (code) => Deno.exit(code),
});
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
// Started by npx (`npx deno run …`): stop once npx is gone (its Node wrapper drops the SIGTERM).
stopWithNpmScript(stop);
