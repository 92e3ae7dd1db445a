// The decision service on the embedded store (PGlite) whose disk fills up under load, as a real
// process: DECISION_DATA_DIR on a 64 MB tmpfs, a file written until the disk is full while
// decisions keep coming. Expected: no 500 and no crash; refusals are 503 with a JSON error; /ready
// says not ready while the disk is full (1.5 s of /ready, all 503); once the space is freed
// decisions are answered again without a restart; and after kill -9 and a restart every decision answered 200 is in
// decision_log (0 missing). Then killed mid-load on the full disk and restarted on it: it stays up
// answering 503 (never 200, never 500) until the space is freed, then decides; 0 missing again.
// Needs root to mount a tmpfs: skipped loudly otherwise.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fillDisk, mountSmallDisk, unmountSmallDisk } from "@pp/shared/testing/small-disk.ts";
import {
  decide,
  decisionLoad,
  forecastStubAroundTests,
  killHard,
  missingDecisionIds,
  spawnDecision,
  startDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const dir = mkdtempSync(join(tmpdir(), "pp-decision-disk-full-"));
const disk = join(dir, "disk");
// One store for both tests: a second PGlite directory would not fit beside it on 64 MB.
const dataDir = join(disk, "data");
const env = { DECISION_DATA_DIR: dataDir };

const mounted = mountSmallDisk(disk, "64m", "decision-disk-full.test.ts");
const forecast = forecastStubAroundTests();
const started: ServiceProcess[] = [];
const track = <T extends ServiceProcess>(p: T): T => {
  started.push(p);
  return p;
};

afterAll(() => {
  for (const p of started) if (!p.exited()) p.child.kill("SIGKILL");
  if (mounted) unmountSmallDisk(disk);
  rmSync(dir, { recursive: true, force: true });
});

const readyStatus = (base: string) =>
  fetch(`${base}/ready`).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    () => ({ status: 0, body: "" }),
  );

/** 503s in a row a service restarted on the full disk must answer (0.2 s apart): 4 s of them. */
const FULL_DISK_REFUSALS = 20;

/** Decisions sent to `p` under load; `beforeMs` later its disk is filled; `afterMs` after that, back. */
async function fillDiskUnderLoad(
  p: ServiceProcess,
  filler: string,
  beforeMs: number,
  afterMs: number,
) {
  const load = decisionLoad(p.base);
  await Bun.sleep(beforeMs);
  const filled = fillDisk(filler);
  await Bun.sleep(afterMs);
  return { load, filled };
}

/**
 * Decisions until one is answered 200 (its id kept in `answered`), `refusals` 503s came in a row
 * (connection errors while a service starts do not count), or `ms` pass: the last status. A
 * service restarted on the full disk is asked for its refusals, not for a fixed 15 s of them.
 */
async function decideUntilAnswered(
  base: string,
  answered: string[],
  ms: number,
  refusals = Number.POSITIVE_INFINITY,
): Promise<number> {
  const deadline = Date.now() + ms;
  let status = 0;
  for (let refused = 0; refused < refusals && Date.now() < deadline; ) {
    const res = await decide(base).catch(() => null);
    status = res?.status ?? 0;
    if (res && status === 200) {
      answered.push(((await res.json()) as { decision_id: string }).decision_id);
      return status;
    }
    await res?.text();
    refused = status === 503 ? refused + 1 : 0;
    if (refused < refusals) await Bun.sleep(200);
  }
  return status;
}

test.skipIf(!mounted)(
  "a full disk: no 500, 503s with a JSON error, /ready 503, answered again once freed, 0 lost",
  async () => {
    const p = track(await startDecision(forecast.url, env));
    const filler = join(disk, "filler");
    const { load, filled } = await fillDiskUnderLoad(p, filler, 1_000, 3_000);
    await load.stop();
    const answered = [...load.answered];
    console.log(`filled ${filled} bytes; statuses under load`, [...load.statuses]);
    // Only answers and refusals: no 500, no connection dropped; the disk did fill (503s).
    expect([...load.statuses.keys()].sort()).toEqual([200, 503]);
    expect(load.answered.length).toBeGreaterThan(50);

    const whileFull = await decide(p.base);
    expect(whileFull.status).toBe(503);
    expect(((await whileFull.json()) as { error: { code: string } }).error.code).toBe(
      "unavailable",
    );
    // Not ready for as long as the disk is full: the writer's read-only probe (every 0.2 s)
    // answered on the full disk and /ready flapped to 200 between two failed writes.
    for (let i = 0; i < 10; i++) {
      const ready = await readyStatus(p.base);
      expect(ready.status).toBe(503);
      expect(ready.body).toContain("insufficient resources");
      await Bun.sleep(150);
    }
    expect(p.exited()).toBe(false);

    rmSync(filler);
    expect(await decideUntilAnswered(p.base, answered, 20_000)).toBe(200);
    expect((await readyStatus(p.base)).status).toBe(200);

    await killHard(p);
    const after = track(await startDecision(forecast.url, env));
    await stopGracefully(after);
    expect(await missingDecisionIds({ dataDir }, answered)).toEqual([]);
    console.log(`${answered.length} answered 200, 0 missing after kill -9 and restart`);
  },
  120_000,
);

test.skipIf(!mounted)(
  "killed while the disk is full, restarted on it: no decision answered until freed, 0 lost",
  async () => {
    const p = track(await startDecision(forecast.url, env));
    const filler = join(disk, "filler-restart");
    const { load } = await fillDiskUnderLoad(p, filler, 500, 1_000);
    await killHard(p); // mid-load, on a full disk
    await load.stop();
    const answered = [...load.answered];

    const restarted = track(await spawnDecision(forecast.url, env));
    const onFull = await decideUntilAnswered(restarted.base, answered, 30_000, FULL_DISK_REFUSALS);
    console.log(`restarted on a full disk: last status ${onFull}`);
    expect(onFull).toBe(503);
    expect(restarted.exited()).toBe(false); // up, refusing, not gone
    rmSync(filler);
    expect(await decideUntilAnswered(restarted.base, answered, 30_000)).toBe(200);
    await stopGracefully(restarted);
    expect(await missingDecisionIds({ dataDir }, answered)).toEqual([]);
    console.log(`${answered.length} answered 200, 0 missing`);
  },
  120_000,
);
