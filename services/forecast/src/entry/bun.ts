// Bun entry (the default): `bun services/forecast/src/entry/bun.ts`.
import { bunServeOptions } from "@pp/shared/http/bun-serve-options.ts";
import { withHostlessRequests } from "@pp/shared/http/request-without-host.ts";
import { configOrExit, listenOrExit } from "@pp/shared/http/start-up.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { stopWithNpmScript } from "@pp/shared/process/parent-watch.ts";
import { createApp } from "../app.ts";
import { handlerTimeLimits, parseConfig } from "../config.ts";
import { buildForecastDeps, serviceName, startModel } from "../deps.ts";
import { onStopSignal } from "./graceful-stop.ts";
import { openModelSource, withUsableStore } from "./open-model-source.ts";

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
const metrics = new MetricsRegistry();
const { source, close } = await openModelSource(config, process.env, logger, metrics);
const deps = buildForecastDeps(config, {
  runtime: "bun",
  modelSource: source,
  overrides: { logger, metrics },
});
const app = createApp(deps);
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
void startModel(deps);

const stop = onStopSignal({
  logger: deps.logger,
  stopPolling: () => deps.model.stopPolling(),
  // Bun's stop() without `true` lets the requests in flight finish.
  stopAccepting: () => server.stop(),
  close,
  exit: (code) => process.exit(code),
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, stop);
// Started by `npm run start:forecast`: stop once npm is gone (its shell drops the SIGTERM).
stopWithNpmScript(() => process.kill(process.pid, "SIGTERM"));
