// Every database-backed route of the decision service while its PostgreSQL is away, with real
// processes: a service on a throwaway cluster, its backends terminated again and again while the
// read routes are called, then the cluster stopped and each admin and campaign route called. Each
// must answer 503 with a JSON error and Retry-After (the client retries later), not an opaque
// 500, and answer as before once the cluster is started again. Also while the database is closed
// to connections (ALTER DATABASE … ALLOW_CONNECTIONS false).
import { describe, expect, test } from "bun:test";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import postgres from "postgres";
import {
  decisionReadyOn,
  forecastStubAroundTests,
  stopGracefully,
} from "../testing/decision-traffic.ts";

const ADMIN = "admin-outage-admin-key-0123456789";
const bin = postgresBinDirOrWarn("the admin routes' outage test");

const forecast = forecastStubAroundTests();

/** Each route that reads or writes the database: method, path and body. */
const ROUTES: Array<[string, string, unknown?]> = [
  ["GET", "/admin/keys"],
  ["POST", "/admin/keys", { name: "outage-made", scopes: ["decide"] }],
  ["GET", "/admin/policies"],
  ["GET", "/admin/policies/active"],
  ["GET", "/admin/policies/default/versions/1"],
  ["POST", "/admin/policies", { name: "outage", definition: {} }],
  ["POST", "/admin/policies/default/versions/1/activate"],
  ["GET", "/admin/customers/c-1/decisions"],
  ["DELETE", "/admin/customers/c-1/decisions"],
  ["POST", "/admin/decision-log/prune", { older_than_days: 3650 }],
  ["GET", "/campaigns"],
];

interface Answer {
  route: string;
  status: number;
  code: string | null;
  retryAfter: string | null;
}

async function call(base: string, [method, path, body]: [string, string, unknown?]) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let code: string | null = null;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
  } catch {}
  return {
    route: `${method} ${path}`,
    status: res.status,
    code,
    retryAfter: res.headers.get("retry-after"),
  } satisfies Answer;
}

describe.skipIf(!bin)("decision service routes while PostgreSQL is away", () => {
  test("503 JSON with Retry-After on every database-backed route; as before once it is back", async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    const env = { DATABASE_URL: pg.url, ADMIN_API_KEYS: ADMIN, FORECAST_URL: forecast.url };
    const service = await decisionReadyOn(await freePort(), env);
    try {
      const before: Answer[] = [];
      for (const route of ROUTES) before.push(await call(service.base, route));
      // Up: none of them fails on the server's side.
      expect(before.filter((a) => a.status >= 500)).toEqual([]);

      // Backends terminated under the reads: an answer or a 503, never another 5xx.
      const reads = ROUTES.filter(([method]) => method === "GET");
      let reading = true;
      const churned: Answer[] = [];
      const readers = (async () => {
        while (reading) for (const route of reads) churned.push(await call(service.base, route));
      })();
      const ended = await pg.terminateBackendsFor(1500);
      reading = false;
      await readers;
      expect(ended).toBeGreaterThan(0);
      expect(churned.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
      expect(churned.filter((a) => a.status === 503 && a.code !== "unavailable")).toEqual([]);

      // The database closed to connections (maintenance: ALLOW_CONNECTIONS false), its backends
      // ended: PostgreSQL answers 55000 at connect, which was an opaque 500 on every route.
      const url = new URL(pg.url);
      const name = url.pathname.slice(1);
      url.pathname = "/template1";
      const admin = postgres(url.href, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`alter database "${name}" allow_connections false`);
        await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`;
        const closed: Answer[] = [];
        for (const route of ROUTES) closed.push(await call(service.base, route));
        const not503 = closed.filter((a) => a.status !== 503 || a.code !== "unavailable");
        expect(not503).toEqual([]);
      } finally {
        await admin.unsafe(`alter database "${name}" allow_connections true`);
        await admin.end();
      }

      pg.stop();
      const during: Answer[] = [];
      for (const route of ROUTES) during.push(await call(service.base, route));
      const unlike503 = during.filter(
        (a) => a.status !== 503 || a.code !== "unavailable" || a.retryAfter === null,
      );
      expect(unlike503).toEqual([]);

      pg.start();
      let after: Answer[] = [];
      const deadline = Date.now() + 30_000;
      do {
        await Bun.sleep(250);
        after = [];
        for (const [method, path] of ROUTES.filter(([m]) => m === "GET")) {
          after.push(await call(service.base, [method, path]));
        }
      } while (after.some((a) => a.status !== 200) && Date.now() < deadline);
      expect(after.filter((a) => a.status !== 200)).toEqual([]);
    } finally {
      await stopGracefully(service);
      pg.destroy();
    }
  }, 120_000);
});
