// pathParams (shared/http/path-params.ts) on a live decision service process: every route with a
// path parameter sent raw over TCP (node:net, so no client normalises the path) with segments
// that do not decode (`%E0%A4%A`, `%ZZ`, a lone `%`), that decode to what no id holds (`%00`, a
// lone surrogate `%ED%A0%80`), that are very long, or `..`. Counted: no 5xx; every answer a 4xx
// in the JSON error shape (the malformed ones a 400 naming the parameter, and only it) but for a
// customer id that decodes to storable text ("a/b": its empty page, nothing erased); the process
// up after, and the rows stored before (policies, API keys, decisions) the same after.
// Found: GET /campaigns/%00 was a 503 "Campaign results unavailable" (2 of 198; fixed).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { queryRows } from "@pp/shared/db/database.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import {
  decide,
  forecastStubAroundTests,
  startDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const ADMIN_KEY = "live-path-admin-key-0123456789";
const MALFORMED_MESSAGE = "is not valid percent-encoding (UTF-8): write a % in an id as %25";

/** Segments no decoding exists for: the answer is a 400 naming the parameter. */
const MALFORMED = [
  "%E0%A4%A",
  "%ZZ",
  "%",
  "%zz",
  "100%",
  "%E0",
  "%ED%A0%8",
  `${"a".repeat(3000)}%`,
];
/** Segments that decode but are no stored id: a 4xx (400 or 404), never a 5xx. */
const ODD = [
  "%00",
  "a%00b",
  "%ED%A0%80", // an encoded lone surrogate (invalid UTF-8)
  "%ED%BF%BF",
  "%C0%AE%C0%AE", // overlong "..": invalid UTF-8
  "..",
  ".",
  "%2E%2E",
  "%2e%2E%2f",
  "a%2Fb",
  "a".repeat(300),
  "9".repeat(4000),
  "x".repeat(20_000),
  "%F4%90%80%80", // past U+10FFFF
  "%EF%BF%BF",
];

/** Every route with a path parameter: method, pattern (":x" replaced per case), parameters. */
const ROUTES: Array<[string, string]> = [
  ["GET", "/admin/customers/:id/decisions"],
  ["DELETE", "/admin/customers/:id/decisions"],
  ["GET", "/admin/policies/:name/versions/:version"],
  ["POST", "/admin/policies/:name/versions/:version/activate"],
  ["POST", "/admin/keys/:id/rotate"],
  ["POST", "/admin/keys/:id/revoke"],
  ["GET", "/campaigns/:id"],
];

/** Good values of each parameter, the one case puts its segment in one parameter at a time. */
const GOOD: Record<string, string> = { id: "1", name: "default", version: "1" };

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** One request written to the socket as is; the answer read until the server closes. */
function rawRequest(port: number, method: string, path: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer to ${method} ${path}`)));
    socket.on("connect", () => {
      socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `Authorization: Bearer ${ADMIN_KEY}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const at = text.indexOf("\r\n\r\n");
      const headers = text.slice(0, at);
      let body = text.slice(at + 4);
      if (/transfer-encoding: chunked/i.test(headers)) body = unchunk(body);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers, body });
    });
  });
}

function unchunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

const forecast = forecastStubAroundTests();
let db: TestDatabase;
let service: ServiceProcess;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  service = await startDecision(forecast.url, {
    DATABASE_URL: db.options.databaseUrl as string,
    ADMIN_API_KEYS: ADMIN_KEY,
  });
}, 90_000);

afterAll(async () => {
  if (service && !service.exited()) await stopGracefully(service);
  await db?.cleanup();
});

/** Rows of the tables a route with a path parameter may change (each as a string of them). */
async function storedRows(): Promise<{ policies: string; keys: string; decisions: string }> {
  const read = async (query: ReturnType<typeof sql>) =>
    JSON.stringify(await queryRows(db.handle.db, query));
  return {
    policies: await read(
      sql`select name, version, active, activated_at from policies order by 1, 2`,
    ),
    keys: await read(
      sql`select id, name, revoked_at, expires_at, replaced_by from api_keys order by id`,
    ),
    decisions: await read(
      sql`select count(*)::int as n, count(distinct decision_id)::int as ids from decision_log`,
    ),
  };
}

/** The cases: each route with each segment in each of its parameters in turn. */
function cases(segments: string[]): Array<{ method: string; path: string; param: string }> {
  return ROUTES.flatMap(([method, pattern]) => {
    const params = [...pattern.matchAll(/:([a-z]+)/g)].map((m) => m[1] as string);
    return params.flatMap((param) =>
      segments.map((segment) => ({
        method,
        param,
        path: pattern.replace(/:([a-z]+)/g, (_, p: string) =>
          p === param ? segment : (GOOD[p] as string),
        ),
      })),
    );
  });
}

test("malformed, odd, long and dot segments on every route with a path parameter: 4xx JSON, never 5xx, nothing changed", async () => {
  // Stored before: the default policy, a key (created through the API), decisions.
  for (let i = 0; i < 5; i++) expect((await decide(service.base)).status).toBe(200);
  const created = await fetch(`${service.base}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "kept", scopes: ["decide"] }),
  });
  expect(created.status).toBe(201);
  const before = await storedRows();

  const port = Number(new URL(service.base).port);
  const answers: Array<
    { method: string; path: string; param: string; malformed: boolean } & RawAnswer
  > = [];
  for (const [list, malformed] of [
    [MALFORMED, true],
    [ODD, false],
  ] as const) {
    for (const c of cases([...list])) {
      answers.push({ ...c, malformed, ...(await rawRequest(port, c.method, c.path)) });
    }
  }
  const tally = new Map<number, number>();
  for (const a of answers) tally.set(a.status, (tally.get(a.status) ?? 0) + 1);
  console.log(`${answers.length} raw requests: statuses`, [...tally]);

  // Never a 5xx; a 2xx only for a customer id that decodes to storable text (one with no
  // decisions: an empty page, nothing erased), the rest 4xx; every answer in the error shape.
  const wrong = answers.filter((a) =>
    a.status >= 200 && a.status < 300
      ? a.malformed || !/^\/admin\/customers\//.test(a.path) || /"decisions":[1-9]/.test(a.body)
      : !(a.status >= 400 && a.status < 500),
  );
  expect(
    wrong.map((a) => `${a.method} ${a.path.slice(0, 60)} → ${a.status} ${a.body.slice(0, 120)}`),
  ).toEqual([]);
  // A request line past Bun's limit (~16 KB) is refused by its HTTP parser before the app: a 431
  // with no body. Every other answer is the app's, in its JSON shape.
  const notJson = answers.filter((a) => {
    if (a.status === 431) return false;
    try {
      const body = JSON.parse(a.body) as { error?: { code?: string }; customer_id?: string };
      return a.status >= 400
        ? typeof body.error?.code !== "string"
        : body.customer_id === undefined;
    } catch {
      return true;
    }
  });
  expect(
    notJson.map((a) => `${a.method} ${a.path.slice(0, 60)} → ${a.status} ${a.body.slice(0, 80)}`),
  ).toEqual([]);
  // Each malformed one: a 400 naming its parameter (and only it).
  const unnamed = answers
    .filter((a) => a.malformed)
    .filter((a) => {
      const error = (
        JSON.parse(a.body) as {
          error: { code: string; details?: Array<{ path: string; message: string }> };
        }
      ).error;
      return !(
        a.status === 400 &&
        error.code === "validation_error" &&
        JSON.stringify(error.details) ===
          JSON.stringify([{ path: a.param, message: MALFORMED_MESSAGE }])
      );
    });
  expect(
    unnamed.map((a) => `${a.method} ${a.path.slice(0, 60)} → ${a.status} ${a.body.slice(0, 160)}`),
  ).toEqual([]);

  expect(service.exited()).toBe(false);
  expect((await decide(service.base)).status).toBe(200);
  const after = await storedRows();
  expect({ policies: after.policies, keys: after.keys }).toEqual({
    policies: before.policies,
    keys: before.keys,
  });
  // One decision more (the one just made), none erased.
  const n = (rows: string) => (JSON.parse(rows) as Array<{ n: number }>)[0]?.n as number;
  expect(n(after.decisions)).toBe(n(before.decisions) + 1);
}, 90_000);
