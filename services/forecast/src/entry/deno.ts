// Deno entry: `deno run --allow-net --allow-env --allow-read services/forecast/src/entry/deno.ts`
// with DATABASE_URL; on the embedded store (PGlite in DATA_DIR) add --allow-write --allow-run.

import type { DenoRuntime } from "@pp/shared/http/deno-runtime.ts";
import { configOrExit, listenOrExit } from "@pp/shared/http/start-up.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { stopWithNpmScript } from "@pp/shared/process/parent-watch.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps, serviceName, startModel } from "../deps.ts";
import { openModelSource, withUsableStore } from "./open-model-source.ts";

declare const Deno: DenoRuntime;

const env = Deno.env.toObject();
const config = configOrExit(() => withUsableStore(parseConfig(env), env), Deno.exit);
const logger = createLogger({
  level: config.LOG_LEVEL,
  fields: { service: serviceName, runtime: "deno" },
});
const metrics = new MetricsRegistry();
const { source, close } = await openModelSource(config, env, logger, metrics);
const deps = buildForecastDeps(config, {
  runtime: "deno",
  modelSource: source,
  overrides: { logger, metrics },
});
const app = createApp(deps);
const server = listenOrExit(
  () =>
    Deno.serve(
      {
        port: config.PORT,
        hostname: config.HOST,
        onListen: ({ port }) => deps.logger.info("listening", { port, host: config.HOST }),
      },
      app.fetch,
    ),
  { host: config.HOST, port: config.PORT },
  Deno.exit,
);
void startModel(deps);

const stop = () => {
  deps.model.stopPolling();
  void server
    .shutdown()
    .then(close)
    .finally(() => Deno.exit(0));
};
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
// Started by npx (`npx deno run …`): stop once npx is gone (its Node wrapper drops the SIGTERM).
stopWithNpmScript(stop);
