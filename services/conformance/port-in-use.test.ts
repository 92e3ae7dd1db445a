// A service started on a port another process holds stops at once with one JSON line naming the
// address and what to do (Bun, Node and Deno entries), instead of a runtime's stack trace or, on
// Node, an unhandled "error" event.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { forecastBundle } from "../testing/forecast-bundle.ts";
import { type RuntimeName, type ServiceName, startService } from "../testing/runtimes.ts";

setDefaultTimeout(120_000);
let holder: Server;
let port = 0;
let bundleDir = "";
let database: TestDatabase;

beforeAll(async () => {
  bundleDir = await forecastBundle();
  database = await openTestDatabase("postgres");
  holder = createServer();
  await new Promise<void>((done) => holder.listen(0, "127.0.0.1", done));
  port = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  holder.close();
  await database.cleanup();
});

const env = (service: ServiceName): Record<string, string> =>
  service === "forecast"
    ? { MODEL_SOURCE: `bundle:${bundleDir}`, MODEL_POLL_INTERVAL_MS: "0" }
    : { DATABASE_URL: database.options.databaseUrl ?? "", API_KEYS: "k" };

const cases: Array<[RuntimeName, ServiceName]> = (["bun", "node", "deno"] as const).flatMap(
  (runtime) =>
    (["forecast", "decision"] as const).map((s): [RuntimeName, ServiceName] => [runtime, s]),
);

test.each(cases)(
  "%s %s on a taken port: exit 1 with one line naming it",
  async (runtime, service) => {
    const error = await startService(runtime, service, env(service), { port }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toContain("exited with 1 before answering /health");
    const lines = (error ?? "").split("\n").filter((l) => l.includes("EADDRINUSE"));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as { level: string; msg: string };
    expect(line).toMatchObject({
      level: "error",
      msg: `cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE); stop the process holding it, or start on another port with PORT=…`,
    });
    expect(error).not.toMatch(/\n\s+at /); // no stack trace
  },
);
