// A /ready probe that fails slowly must not leave the decision log down for good: the writer
// retries by itself, so decisions answer 200 again once the database is back, whether or not
// anything calls /ready again. A real decision service on a throwaway PostgreSQL frozen (SIGSTOP)
// while /ready is asked once, then thawed; only decisions are sent after that.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import {
  decide,
  startDecision,
  startForecastStub,
  stopGracefully,
} from "../testing/decision-traffic.ts";

const bin = postgresBinDirOrWarn("the /ready probe recovery test");
let forecast: { url: string; stop(): void };

beforeAll(() => {
  forecast = startForecastStub();
});

afterAll(() => forecast?.stop());

test.skipIf(!bin)(
  "after a /ready probe timed out on a frozen database, decisions are 200 again once it thaws",
  async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    try {
      const p = await startDecision(forecast.url, { DATABASE_URL: pg.url });
      pg.freeze();
      // /ready gives up waiting after 0.5 s; the probe it started fails later (2 s), with no
      // decision queued. Disk full under the embedded store did the same: the opening stalled.
      const ready = await fetch(`${p.base}/ready`);
      expect(ready.status).toBe(503);
      await ready.text();
      await Bun.sleep(3000);
      pg.thaw();
      const statuses: number[] = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && statuses.at(-1) !== 200) {
        const res = await decide(p.base);
        await res.text();
        statuses.push(res.status);
        await Bun.sleep(200);
      }
      await stopGracefully(p);
      // Before the fix: 503 for as long as nobody asked /ready (50 of 50 in these 10 s).
      expect(statuses.at(-1)).toBe(200);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    } finally {
      pg.destroy();
    }
  },
  60_000,
);
