// `bun run start`: runs the forecast and decision services together (one Bun process each),
// prefixes their log lines, and stops both on Ctrl-C or when either exits.
// Ports: FORECAST_PORT (8001) and DECISION_PORT (8002); PORT is for the single-service scripts.
// Without DATABASE_URL this process hosts the embedded database the services and CLIs share.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { exampleCurl } from "@pp/decision/src/cli/dev-key.ts";
import { seedDemoModelFromEnv, seedFailure } from "@pp/ml/pipelines/seed-demo-model.ts";
import { dataDirFromEnv } from "@pp/shared/db/decision-store-dir.ts";
import { portInUseLine } from "@pp/shared/http/start-up.ts";
import { whenParentGone } from "@pp/shared/process/parent-watch.ts";
import { type Service, serviceEnv } from "./service-env.ts";
import { openEmbeddedStores, StoreOpenError } from "./start-embedded.ts";

const repoRoot = resolve(import.meta.dirname, "..");
const services = ["forecast", "decision"] as const;

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!services.includes(name as Service)) {
    console.error(`unknown service "${name}"; expected: ${services.join(", ")}`);
    process.exit(2);
  }
}
const selected = (requested.length > 0 ? requested : services) as readonly Service[];

const forecastPort = process.env.FORECAST_PORT || "8001";
const decisionPort = process.env.DECISION_PORT || "8002";
const ports: Record<Service, string> = { forecast: forecastPort, decision: decisionPort };
// Bun runs this script (npm puts node_modules/.bin on PATH); its own binary runs the services.
const bun = process.versions.bun ? process.execPath : join(repoRoot, "node_modules/.bin/bun");

// Where the services will listen (their HOST, default every address).
const host = process.env.HOST || "0.0.0.0";

/** Whether `port` can be listened on where the services will. */
function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once("error", () => done(false));
    probe.listen(port, host, () => probe.close(() => done(true)));
  });
}

// A taken port is found before the store opens and the demo model trains (seconds), and named
// with the variable that moves it; the services' own check (start-up.ts) still covers a race.
for (const service of selected) {
  const port = Number(ports[service]);
  if (!Number.isInteger(port) || (port > 0 && (await portFree(port)))) continue;
  const variable = service === "forecast" ? "FORECAST_PORT" : "DECISION_PORT";
  console.error(`[${service}] ${portInUseLine(host, port, variable)}`);
  process.exit(1);
}

const stores = await openEmbeddedStores(process.env).catch((error: unknown) => {
  // Drizzle wraps what the store threw (a full disk, files of another PostgreSQL major): its cause
  // names the file and what to do, the wrapper only the query.
  let cause = error as { cause?: unknown; message?: string };
  while (cause.cause instanceof Error) cause = cause.cause;
  const where =
    error instanceof StoreOpenError
      ? `${error.variable}=${error.dir}`
      : `DATA_DIR=${dataDirFromEnv(process.env)}`;
  console.error(
    `error: could not open the embedded store at ${where}: ${cause.message ?? String(error)}`,
  );
  process.exit(1);
});
// The start-up step before the forecast service (which only reads the registry): the demo model
// when the model has no production version and DEMO_MODEL is on.
if (selected.includes("forecast")) {
  try {
    await seedDemoModelFromEnv(process.env);
  } catch (error) {
    console.error(`[forecast] demo model not seeded: ${seedFailure(error)}`);
    await stores?.close();
    process.exit(1);
  }
}

const children = new Map<Service, ChildProcess>();
let stopping = false;

function forward(service: Service, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) {
  const prefix = `[${service}] `.padEnd(11);
  createInterface({ input: stream }).on("line", (line) => out.write(`${prefix}${line}\n`));
}

function stopAll(signal: NodeJS.Signals) {
  stopping = true;
  for (const child of children.values()) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

for (const service of selected) {
  const env = serviceEnv(service, process.env, ports, selected);
  const child = spawn(bun, [join(repoRoot, "services", service, "src/entry/bun.ts")], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.set(service, child);
  if (child.stdout) forward(service, child.stdout, process.stdout);
  if (child.stderr) forward(service, child.stderr, process.stderr);
  child.on("error", (err) => {
    console.error(`[${service}] could not start: ${err.message}`);
    stopAll("SIGTERM");
  });
  child.on("exit", (code, signal) => {
    children.delete(service);
    if (!stopping) {
      console.error(`[${service}] exited (${signal ?? code}); stopping the others`);
      process.exitCode = code || 1;
      stopAll("SIGTERM");
    }
    if (children.size === 0) {
      void (stores?.close() ?? Promise.resolve()).finally(() =>
        process.exit(process.exitCode ?? 0),
      );
    }
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stopAll(signal));

// `npm start` passes its SIGTERM to the `sh -c` running this script, which ends without passing
// it on: the services kept running, orphaned, holding their ports. Started by a package manager's
// script, this process stops as on SIGTERM once its parent is gone (run directly, it does not:
// `nohup bun scripts/start.ts &` outlives its shell on purpose).
if (process.env.npm_lifecycle_event) {
  whenParentGone(process.ppid, () => {
    if (stopping) return;
    console.error("the npm process that started this one is gone; stopping the services");
    stopAll("SIGTERM");
  });
}

/** Prints the new development key once, with a curl line, when the forecast service is ready. */
async function announceDevKey(key: string) {
  const deadline = Date.now() + 300_000;
  while (!stopping && Date.now() < deadline) {
    const ready = await fetch(`http://127.0.0.1:${forecastPort}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (stopping) return;
  console.log(
    `\nCreated a local development API key (shown once; only its hash is stored):\n\n  ${key}\n\n` +
      `Try a decision:\n\n${exampleCurl(key, decisionPort)}\n`,
  );
}
if (stores?.devKey && selected.includes("decision")) void announceDevKey(stores.devKey);
