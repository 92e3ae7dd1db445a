// Test support for real-process decision tests: a decision service process against a forecast
// contract stub, a load of concurrent decisions that keeps every answered id, a hard kill, and
// the answered ids a database lacks ("nothing lost" as a number).
import { afterAll, beforeAll, expect } from "bun:test";
import { createDatabase } from "@pp/shared/db/client.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { inArray } from "drizzle-orm";
import { forecastContractStub } from "../decision/src/testing/forecast-contract-stub.ts";
import { type ServiceProcess, startProcess } from "./service-processes.ts";

export const DECISION_KEY = "crash-test-key-0123456789";
/** One decision for c-1 (the stub's customer): email at cost 0.5, uplift 0.2, margin 10. */
export const DECISION_BODY = JSON.stringify({
  customer: { id: "c-1" },
  horizon: { value: 13, unit: "week" },
  actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
});

/** The forecast contract stub on a free port, knowing customer c-1. */
function startForecastStub(): { url: string; stop(): void } {
  const stub = forecastContractStub({ known: { "c-1": { expected_purchases: 2, p_alive: 0.9 } } });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: stub.app.fetch });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

/** The forecast contract stub of a test file: started before its tests, stopped after them. */
export function forecastStubAroundTests(): { readonly url: string } {
  let stub: { url: string; stop(): void } | undefined;
  beforeAll(() => {
    stub = startForecastStub();
  });
  afterAll(() => stub?.stop());
  return {
    get url() {
      if (!stub) throw new Error("the forecast stub starts before the tests");
      return stub.url;
    },
  };
}

/** POST a JSON body to a decision endpoint with the test key (and an Idempotency-Key when given). */
export function postDecision(
  url: string,
  json: string,
  options: { key?: string; signal?: AbortSignal; apiKey?: string } = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${options.apiKey ?? DECISION_KEY}`,
      "content-type": "application/json",
      ...(options.key ? { "idempotency-key": options.key } : {}),
    },
    body: json,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** One decision for c-1. */
export function decide(base: string): Promise<Response> {
  return postDecision(`${base}/decision`, DECISION_BODY);
}

/** One decision for c-1 sent with `apiKey`: its status (the body read, so the socket is reused). */
export async function decisionStatus(base: string, apiKey: string): Promise<number> {
  const res = await postDecision(`${base}/decision`, DECISION_BODY, { apiKey });
  await res.text();
  return res.status;
}

/** Decisions with `apiKey` until one answers `want` (10 s at most); never a 5xx meanwhile. */
export async function answersWithin(base: string, apiKey: string, want: number): Promise<void> {
  let last = 0;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await Bun.sleep(100)) {
    last = await decisionStatus(base, apiKey);
    expect(last).toBeLessThan(500);
    if (last === want) return;
  }
  expect(last).toBe(want);
}

/** A decision service process (Bun entry) on a free port, just spawned. */
export async function spawnDecision(
  forecastUrl: string,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  return startProcess(
    "decision",
    { FORECAST_URL: forecastUrl, API_KEYS: DECISION_KEY, LOG_LEVEL: "error", ...env },
    await freePort(),
  );
}

/** A decision service process (Bun entry), returned once it has answered a decision with 200. */
export async function startDecision(
  forecastUrl: string,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const p = await spawnDecision(forecastUrl, env);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await decide(p.base);
      if (res.status === 200) return p;
    } catch {}
    if (Date.now() > deadline || p.exited()) {
      // The caller's cleanup never sees a process it was not handed: stop it here.
      p.child.kill("SIGKILL");
      throw new Error(`decision did not start: ${p.output.slice(-5).join(" | ")}`);
    }
    await Bun.sleep(100);
  }
}

/**
 * A decision service process on `port` (after a kill, the same port again) with `env` added to
 * the key it accepts, returned once /ready is 200 (its database open and the forecast reached).
 */
export async function decisionReadyOn(
  port: number,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const p = startProcess("decision", { API_KEYS: DECISION_KEY, ...env }, port);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && !p.exited()) {
    const up = await fetch(`${p.base}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) return p;
    await Bun.sleep(100);
  }
  p.child.kill("SIGKILL");
  throw new Error(`decision did not start: ${p.output.slice(-5).join(" | ")}`);
}

/**
 * decisionReadyOn on a free port, and on another when it was taken meanwhile (EADDRINUSE): the
 * OS also hands ports of its ephemeral range to outgoing connections, and under a parallel test's
 * load one took a port freePort had just returned (seen once in CI).
 */
export async function decisionReadyOnFreePort(
  env: Record<string, string>,
): Promise<{ service: ServiceProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { service: await decisionReadyOn(port, env), port };
    } catch (err) {
      if (attempt >= 5 || !String(err).includes("EADDRINUSE")) throw err;
    }
  }
}

/** 8 loops sending decisions until stopped; keeps the id of every 200 and counts each status. */
export function decisionLoad(base: string) {
  let running = true;
  const answered: string[] = [];
  const statuses = new Map<number, number>();
  const loops = Array.from({ length: 8 }, async () => {
    for (let i = 0; running && i < 100_000; i++) {
      let status = 0;
      try {
        const res = await decide(base);
        status = res.status;
        if (status === 200)
          answered.push(((await res.json()) as { decision_id: string }).decision_id);
        else await res.text();
      } catch {
        status = 0; // connection closed or refused
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  return {
    answered,
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

export async function killHard(p: ServiceProcess): Promise<void> {
  const exited = new Promise((r) => p.child.once("exit", r));
  p.child.kill("SIGKILL");
  await exited;
}

export async function stopGracefully(p: ServiceProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => p.child.once("exit", (code) => r(code)));
  p.child.kill("SIGTERM");
  return exited;
}

/** Ids (of `ids`) not in decision_log of the database at `options`. */
export async function missingDecisionIds(
  options: { dataDir: string } | { databaseUrl: string },
  ids: string[],
): Promise<string[]> {
  const handle = await createDatabase(options);
  try {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 5000) {
      const rows = await handle.db
        .select({ id: decisionLog.decisionId })
        .from(decisionLog)
        .where(inArray(decisionLog.decisionId, ids.slice(i, i + 5000)));
      for (const r of rows) found.add(r.id);
    }
    return ids.filter((id) => !found.has(id));
  } finally {
    await handle.close();
  }
}
