// Node entry: `node --import tsx services/decision/src/entry/node.ts`.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { configOrExit } from "@pp/shared/http/start-up.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";

const config = configOrExit(() => parseConfig(process.env), process.exit);
const deps = buildDecisionDeps(config, { runtime: "node" });
const app = createApp(deps);
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  deps.logger.info("listening", { port: (info as AddressInfo).port, host: config.HOST });
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
