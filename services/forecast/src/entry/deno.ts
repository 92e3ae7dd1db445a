// Deno entry: `deno run --allow-net --allow-env --allow-read services/forecast/src/entry/deno.ts`.

import type { DenoRuntime } from "@pp/shared/http/deno-runtime.ts";
import { configOrExit } from "@pp/shared/http/start-up.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";

declare const Deno: DenoRuntime;

const config = configOrExit(() => parseConfig(Deno.env.toObject()), Deno.exit);
const deps = buildForecastDeps(config, { runtime: "deno" });
const app = createApp(deps);
const server = Deno.serve(
  {
    port: config.PORT,
    hostname: config.HOST,
    onListen: ({ port }) => deps.logger.info("listening", { port, host: config.HOST }),
  },
  app.fetch,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    void server.shutdown().then(() => Deno.exit(0));
  });
}
