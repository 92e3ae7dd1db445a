// Bun entry (the default): `bun services/forecast/src/entry/bun.ts`.
import { configOrExit } from "@pp/shared/http/start-up.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";

const config = configOrExit(() => parseConfig(process.env), process.exit);
const deps = buildForecastDeps(config, { runtime: "bun" });
const app = createApp(deps);
const server = Bun.serve({ port: config.PORT, hostname: config.HOST, fetch: app.fetch });
deps.logger.info("listening", { port: server.port, host: config.HOST });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.stop();
    process.exit(0);
  });
}
