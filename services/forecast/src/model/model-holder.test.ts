// ModelHolder following a source that pushes changes: a change signalled while a refresh is under
// way (which may have read the source before the change) triggers one more refresh, and signals
// after stopPolling are ignored.
import { beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { memoryReader, twoDemoVersions } from "../testing/demo-bundle.ts";
import { ModelHolder, type ModelSource } from "./model-holder.ts";
import { bundleModelSource } from "./model-sources.ts";
import { typescriptEngine } from "./typescript-engine.ts";

let v1: Map<string, Uint8Array>;
let v2: Map<string, Uint8Array>;

beforeAll(async () => {
  ({ v1, v2 } = await twoDemoVersions({ customers: 300, seed: 5 }));
}, 60_000);

/** A bundle source whose files can be swapped, whose key reads can be held, and that pushes. */
function pushingSource() {
  let files = v1;
  let gate: Promise<void> = Promise.resolve();
  let signal: (() => void) | null = null;
  const inner = bundleModelSource({
    read: (name) => memoryReader(files)(name),
    description: "memory",
    engine: typescriptEngine,
  });
  const source: ModelSource = {
    description: "memory",
    // Reads the key first and answers only when the gate opens: a slow query that saw old data.
    async currentKey() {
      const key = await inner.currentKey();
      await gate;
      return key;
    },
    load: () => inner.load(),
    watch(onChange) {
      signal = onChange;
    },
  };
  return {
    source,
    publish: (next: Map<string, Uint8Array>) => {
      files = next;
    },
    hold: () => {
      let open = () => {};
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return open;
    },
    signal: () => signal?.(),
    /** Reads from now on answer at once; one already held stays held. */
    free: () => {
      gate = Promise.resolve();
    },
  };
}

const quiet = () => ({ logger: createLogger({ sink: () => {} }), metrics: new MetricsRegistry() });

async function until(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!condition() && performance.now() < deadline) await Bun.sleep(5);
  return condition();
}

test("a change signalled during a refresh that read the old key is loaded by one more refresh", async () => {
  const s = pushingSource();
  const holder = new ModelHolder(s.source, quiet());
  expect(await holder.refresh()).toBe("loaded");
  holder.startPolling(0); // no timer: only the pushes
  const open = s.hold();
  s.signal(); // a refresh starts and reads v1's key, held at the gate
  await Bun.sleep(20);
  s.publish(v2);
  s.signal(); // the promotion's notification arrives while that refresh runs
  open();
  expect(await until(() => holder.current?.identity.version === 2)).toBe(true);
  holder.stopPolling();
}, 60_000);

test("signals after stopPolling are ignored; startPolling follows them again", async () => {
  const s = pushingSource();
  const holder = new ModelHolder(s.source, quiet());
  await holder.refresh();
  holder.startPolling(0);
  holder.stopPolling();
  s.publish(v2);
  s.signal();
  await Bun.sleep(200);
  expect(holder.current?.identity.version).toBe(1);
  holder.startPolling(0);
  s.signal();
  expect(await until(() => holder.current?.identity.version === 2)).toBe(true);
  holder.stopPolling();
}, 60_000);

// The source away at three polls, then back with the same model: the failure is said once and
// its end once (the end was never logged: an operator could not tell the registry was back).
test("a source away, then back with the same model: one line for the failure, one for its end", async () => {
  const s = pushingSource();
  const lines: Array<{ msg: string; error?: string; after?: string }> = [];
  const holder = new ModelHolder(
    {
      ...s.source,
      currentKey: async () => {
        if (away) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
        return s.source.currentKey();
      },
    },
    {
      logger: createLogger({ sink: (line) => lines.push(JSON.parse(line)) }),
      metrics: new MetricsRegistry(),
    },
  );
  let away = false;
  expect(await holder.refresh()).toBe("loaded");
  away = true;
  for (let i = 0; i < 3; i++) expect(await holder.refresh()).toBe("failed");
  away = false;
  expect(await holder.refresh()).toBe("unchanged");
  expect(await holder.refresh()).toBe("unchanged");
  const said = lines.filter((l) => l.msg !== "model loaded");
  expect(said.map((l) => l.msg)).toEqual([
    "model load refused; the current model keeps serving",
    "model source reachable again; the current model is the latest",
  ]);
  expect(said[1]?.after).toContain("ECONNREFUSED");
  expect(holder.loadFailure).toBeNull();
}, 60_000);

// A poll stuck on a lock on the registry neither fails nor ends: /ready said "ready" while no new
// version could be seen. Past the bound it says degraded, and ready again once the source answers.
test("a refresh unanswered past the bound: degraded, naming how long; ready again once it answers", async () => {
  const s = pushingSource();
  let clock = 0;
  const holder = new ModelHolder(s.source, { ...quiet(), stuckAfterMs: 60_000, now: () => clock });
  expect(await holder.refresh()).toBe("loaded");
  const check = holder.readinessCheck();
  const open = s.hold();
  const stuck = holder.refresh();
  clock = 59_000;
  expect(await check.check()).toEqual({ ok: true });
  clock = 75_000;
  expect(await check.check()).toEqual({
    ok: true,
    degraded: true,
    reason: "serving the loaded model; the model source (memory) has not answered for 75 s",
  });
  open();
  expect(await stuck).toBe("unchanged");
  expect(await check.check()).toEqual({ ok: true });
}, 60_000);

// On Workers a refresh whose KV/R2 read hung is cancelled ~30 s after its request's answer and
// never settles: every later poll joined it, and the isolate never saw a new version again.
test("a refresh unanswered past abandonRefreshAfterMs is replaced by the next one; the old one applies nothing", async () => {
  const s = pushingSource();
  let clock = 0;
  const holder = new ModelHolder(s.source, {
    ...quiet(),
    abandonRefreshAfterMs: 60_000,
    now: () => clock,
  });
  expect(await holder.refresh()).toBe("loaded");
  const open = s.hold();
  const stuck = holder.refresh();
  s.free();
  s.publish(v2);
  clock = 30_000;
  expect(holder.refresh()).toBe(stuck); // shared while under the bound
  clock = 61_000;
  const fresh = holder.refresh();
  expect(fresh).not.toBe(stuck);
  const outcome = await Promise.race([fresh, Bun.sleep(5000).then(() => "still joined")]);
  expect(outcome).toBe("loaded");
  const served = holder.current;
  expect(served?.identity.version).not.toBe(undefined);
  const check = holder.readinessCheck();
  expect(await check.check()).toEqual({ ok: true });
  open(); // the abandoned run ends after all: nothing it does changes what serves
  await stuck;
  expect(holder.current).toBe(served);
  expect(await check.check()).toEqual({ ok: true });
}, 60_000);

// A replaced model is released once its delay has passed, by releaseDue() (what a Worker request
// calls: Workers run no timer of a request that has ended) or by the timer, never twice.
test("a replaced model: kept while a request may use it, released once after the delay", async () => {
  const s = pushingSource();
  let time = 1_000_000;
  const deps = { ...quiet(), now: () => time };
  const holder = new ModelHolder(s.source, deps);
  await holder.refresh();
  const released: number[] = [];
  const first = holder.current;
  if (!first) throw new Error("no model loaded");
  first.release = async () => {
    released.push(first.identity.version);
  };
  s.publish(v2);
  expect(await holder.refresh()).toBe("loaded");
  expect(holder.releaseDue()).toBeNull();
  time += 29_999;
  expect(holder.releaseDue()).toBeNull();
  time += 1;
  await holder.releaseDue();
  expect(holder.releaseDue()).toBeNull();
  expect(released).toEqual([1]);
  expect(deps.metrics.expose()).toContain("model_releases_total 1");
}, 60_000);
