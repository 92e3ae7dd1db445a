// API keys while PostgreSQL goes away, with real processes: a decision service on a throwaway
// PostgreSQL cluster answers clients deciding with an old key, its successor (rotated under load),
// a revoked key and a key that expires during the run, while every backend is terminated again
// and again (pg_terminate_backend), then the cluster is stopped (a rotation is tried meanwhile)
// and started again, and the successor is rotated once more. Counted: no 5xx but 503 with a JSON
// error; a valid key never refused with 401 (before, during or after the outage); the revoked key
// never accepted, the expired one never after its expiry; the rotation tried during the outage
// left nothing behind (the name has exactly its chain of three keys).
import { describe, expect, test } from "bun:test";
import { createDatabase } from "@pp/shared/db/client.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { waitForHttp } from "@pp/shared/testing/processes.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { asc, eq } from "drizzle-orm";
import { ApiKeyStore } from "../decision/src/index.ts";
import {
  DECISION_BODY,
  decisionReadyOn,
  forecastStubAroundTests,
  killHard,
} from "../testing/decision-traffic.ts";
import { type ServiceProcess, startProcess } from "../testing/service-processes.ts";

const ADMIN = "key-rotation-outage-admin-0123456789";
const bin = postgresBinDirOrWarn("the API key outage test");

const forecast = forecastStubAroundTests();

interface Sent {
  label: string;
  startedAt: number;
  status: number;
  /** A non-200 answer's body is `{"error": {"code", ...}}`. */
  jsonError: boolean;
}

/** Clients deciding with each key added, until stopped; every answer is kept. */
function deciders(base: string) {
  const sent: Sent[] = [];
  const loops: Promise<void>[] = [];
  let running = true;
  return {
    sent,
    add(label: string, key: string) {
      loops.push(
        (async () => {
          while (running) {
            const startedAt = Date.now();
            let status = 0;
            let jsonError = false;
            try {
              const res = await fetch(`${base}/decision`, {
                method: "POST",
                headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
                body: DECISION_BODY,
              });
              status = res.status;
              const text = await res.text();
              try {
                jsonError = typeof JSON.parse(text)?.error?.code === "string";
              } catch {}
            } catch {}
            sent.push({ label, startedAt, status, jsonError });
            await Bun.sleep(15);
          }
        })(),
      );
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe.skipIf(!bin)("API keys across a PostgreSQL outage", () => {
  test("valid keys never 401, revoked/expired never accepted, 503 JSON only while the database is away", async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    const env = { DATABASE_URL: pg.url, ADMIN_API_KEYS: ADMIN, FORECAST_URL: forecast.url };
    const service = await decisionReadyOn(await freePort(), env);
    const handle = await createDatabase({ databaseUrl: pg.url, maxConnections: 2 });
    const traffic = deciders(service.base);
    try {
      const admin = (path: string) =>
        fetch(`${service.base}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN}` },
        });
      const store = new ApiKeyStore(handle.db);
      const old = await store.create("outage");
      const revoked = await store.create("outage-revoked");
      await store.revoke(revoked.id);
      const expiring = await store.create(
        "outage-expiring",
        ["decide"],
        new Date(Date.now() + 3000),
      );
      // Stored by this process: the service learns them on a miss (re-read at most once a second).
      for (const key of [old.key, expiring.key]) {
        await waitForHttp(
          `${service.base}/decision`,
          (status) => status === 200,
          "a stored key",
          10_000,
          {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: DECISION_BODY,
          },
        );
      }
      traffic.add("old", old.key);
      traffic.add("revoked", revoked.key);
      traffic.add("expiring", expiring.key);
      await Bun.sleep(600);

      const rotated = await admin(`/admin/keys/${old.id}/rotate`);
      expect(rotated.status).toBe(201);
      const successor = (await rotated.json()) as { id: number; key: string };
      traffic.add("successor", successor.key);
      await Bun.sleep(600);

      const ended = await pg.terminateBackendsFor(1500);
      pg.stop();
      const downAt = Date.now();
      await Bun.sleep(500);
      const duringOutage = await admin(`/admin/keys/${successor.id}/rotate`);
      const outageAnswer = await duringOutage.text();
      await Bun.sleep(1500);
      pg.start();
      const upAt = Date.now();
      // Back: the successor decides again, then is rotated.
      let third: { id: number; key: string } | null = null;
      for (const deadline = Date.now() + 20_000; !third && Date.now() < deadline; ) {
        const res = await admin(`/admin/keys/${successor.id}/rotate`);
        if (res.status === 201) third = (await res.json()) as { id: number; key: string };
        else await Bun.sleep(100);
      }
      expect(third).not.toBeNull();
      const thirdAt = Date.now();
      traffic.add("third", (third as { key: string }).key);
      await Bun.sleep(1500);
      await traffic.stop();

      const tally = new Map<string, number>();
      for (const s of traffic.sent) {
        const k = `${s.label} ${s.status}`;
        tally.set(k, (tally.get(k) ?? 0) + 1);
      }
      console.log(
        `${traffic.sent.length} decisions, ${ended} backends terminated, outage ${upAt - downAt} ms; rotation during it: ${duringOutage.status}`,
        [...tally].sort(),
      );
      const wrong = traffic.sent.filter((s) => {
        if (s.status !== 200 && s.status !== 0 && !s.jsonError) return true; // a non-JSON error
        if (s.status >= 500 && s.status !== 503) return true;
        if (s.label === "revoked") return s.status === 200;
        if (s.label === "expiring")
          return s.status === 200 && s.startedAt >= (expiring.expiresAt as Date).getTime();
        return s.status === 401; // old (in its grace), successor, third: valid throughout
      });
      expect(wrong).toEqual([]);
      // Every valid key decides again once the database is back (the decision log's writer may
      // answer 503 a little longer than the key store, while it backs off).
      for (const label of ["old", "successor", "third"]) {
        const after = traffic.sent.filter((s) => s.label === label && s.startedAt >= thirdAt);
        expect(after.filter((s) => s.status === 200).length).toBeGreaterThan(0);
        expect(after.at(-1)?.status).toBe(200);
      }
      // The rotation tried while the database was away: a 503 with a JSON error, nothing stored.
      expect(duringOutage.status).toBe(503);
      expect(JSON.parse(outageAnswer).error.code).toBeString();
      const chain = await handle.db
        .select()
        .from(apiKeys)
        .where(eq(apiKeys.name, "outage"))
        .orderBy(asc(apiKeys.id));
      expect(chain.map((k) => [k.id, k.replacedBy])).toEqual([
        [old.id, successor.id],
        [successor.id, (third as { id: number }).id],
        [(third as { id: number }).id, null],
      ]);
    } finally {
      await traffic.stop();
      await handle.close().catch(() => {});
      if (!service.exited()) await killHard(service);
      pg.destroy();
    }
  }, 120_000);

  test("a service started while the database is away: a stored key is a 503, not a 401, until it is back, then 200", async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    const handle = await createDatabase({ databaseUrl: pg.url, maxConnections: 1 });
    let service: ServiceProcess | null = null;
    try {
      await handle.migrate();
      const made = await new ApiKeyStore(handle.db).create("before-outage");
      await handle.close();
      pg.stop();
      service = startProcess(
        "decision",
        { DATABASE_URL: pg.url, FORECAST_URL: forecast.url, API_KEYS: "env-key-0123456789" },
        await freePort(),
      );
      const base = service.base;
      await waitForHttp(`${base}/health`, (status) => status === 200, "decision /health", 60_000);
      const traffic = deciders(base);
      traffic.add("stored", made.key);
      traffic.add("unknown", "never-stored-key-0123456789");
      await Bun.sleep(2500);
      pg.start();
      const upAt = Date.now();
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await Bun.sleep(50)) {
        if (traffic.sent.some((s) => s.label === "stored" && s.status === 200)) break;
      }
      await Bun.sleep(1000);
      await traffic.stop();
      const tally = new Map<string, number>();
      for (const s of traffic.sent) {
        const k = `${s.label} ${s.status}${s.startedAt < upAt ? " (away)" : ""}`;
        tally.set(k, (tally.get(k) ?? 0) + 1);
      }
      console.log("started during the outage:", [...tally].sort());
      const stored = traffic.sent.filter((s) => s.label === "stored");
      expect(stored.filter((s) => s.status !== 200 && !(s.status === 503 && s.jsonError))).toEqual(
        [],
      );
      expect(stored.filter((s) => s.startedAt < upAt && s.status === 503).length).toBeGreaterThan(
        0,
      );
      expect(stored.at(-1)?.status).toBe(200);
      // A key that is stored nowhere is never let in; once the keys are read it is a 401.
      const unknown = traffic.sent.filter((s) => s.label === "unknown");
      expect(unknown.filter((s) => s.status === 200)).toEqual([]);
      expect(unknown.at(-1)?.status).toBe(401);
    } finally {
      if (service && !service.exited()) await killHard(service);
      await handle.close().catch(() => {});
      pg.destroy();
    }
  }, 90_000);
});
