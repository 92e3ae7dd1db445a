// Node entry: `node --import tsx services/forecast/src/entry/node.ts`.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { configOrExit, onListenError } from "@pp/shared/http/start-up.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps, serviceName, startModel } from "../deps.ts";
import { onStopSignal } from "./graceful-stop.ts";
import { openModelSource, withUsableStore } from "./open-model-source.ts";

const config = configOrExit(
  () => withUsableStore(parseConfig(process.env), process.env),
  process.exit,
);
const logger = createLogger({
  level: config.LOG_LEVEL,
  fields: { service: serviceName, runtime: "node" },
});
const metrics = new MetricsRegistry();
const { source, close } = await openModelSource(config, process.env, logger, metrics);
const deps = buildForecastDeps(config, {
  runtime: "node",
  modelSource: source,
  overrides: { logger, metrics },
});
const app = createApp(deps);
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  deps.logger.info("listening", { port: (info as AddressInfo).port, host: config.HOST });
});
// A taken port is an "error" event of the server: one line and exit 1, not a stack trace.
server.on("error", onListenError({ host: config.HOST, port: config.PORT }, process.exit));
void startModel(deps);

const stop = onStopSignal({
  logger: deps.logger,
  stopPolling: () => deps.model.stopPolling(),
  // close() stops accepting; its callback runs once the requests in flight are answered.
  stopAccepting: () => new Promise((resolve) => server.close(resolve)),
  close,
  exit: (code) => process.exit(code),
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, stop);
