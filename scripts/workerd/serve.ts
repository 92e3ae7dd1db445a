// Serves a service's Worker bundle with workerd: `bun scripts/workerd/serve.ts forecast`
// (decision: DATABASE_URL=postgres://... becomes its Hyperdrive binding).
// Config comes from the environment (PORT, HOST and the service's own variables), passed to
// the worker as text bindings the way Cloudflare passes [vars].
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultPorts, workerBindings } from "./bindings.ts";
import { binDir, bundleWorker, writeWorkerdConfig } from "./bundle.ts";

const service = process.argv[2];
if (service !== "forecast" && service !== "decision") {
  console.error("usage: bun scripts/workerd/serve.ts forecast|decision");
  process.exit(2);
}
const outDir = mkdtempSync(join(tmpdir(), `pp-${service}-worker-`));
const bundle = await bundleWorker(service, outDir);
const port = process.env.PORT || String(defaultPorts[service]);
const host = process.env.HOST || "0.0.0.0";
// decision: DATABASE_URL becomes its HYPERDRIVE binding (workerd connects to that server).
const databaseUrl = service === "decision" ? process.env.DATABASE_URL?.trim() : undefined;
const config = writeWorkerdConfig(bundle, {
  name: service,
  address: `${host}:${port}`,
  bindings: workerBindings(service, process.env),
  ...(databaseUrl ? { hyperdrive: { binding: "HYPERDRIVE", url: databaseUrl } } : {}),
});
console.log(JSON.stringify({ level: "info", msg: "workerd serving", service, port, config }));
const args = ["serve", ...(databaseUrl ? ["--experimental"] : []), config];
const child = spawn(join(binDir, "workerd"), args, { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => {
  rmSync(outDir, { recursive: true, force: true });
  process.exit(code ?? 1);
});
