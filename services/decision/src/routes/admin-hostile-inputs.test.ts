// Hostile values on the policy and campaign admin routes of a real decision service process (Bun
// entry, real PostgreSQL): every one is a 4xx JSON error that names the field, never a 500 and
// never a stored policy that cannot mean what it says.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, startBun, stopProc, waitForHttp } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";

const root = resolve(import.meta.dirname, "../../../..");
const ADMIN = "admin-key-for-hostile-inputs-0123";
let db: TestDatabase;
let proc: Proc;
let base: string;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proc = startBun("decision", join(root, "services/decision/src/entry/bun.ts"), {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: db.options.databaseUrl as string,
    ADMIN_API_KEYS: ADMIN,
    CAMPAIGN_SECRET: "hostile-inputs-campaign-secret",
    FORECAST_URL: "http://127.0.0.1:9",
    LOG_LEVEL: "warn",
  });
  await waitForHttp(`${base}/health`, (s) => s === 200, "decision /health", 60_000);
}, 90_000);

afterAll(async () => {
  if (proc) await stopProc(proc);
  await db?.cleanup();
});

const segments = (...s: Array<[number, number]>) => ({
  name: "p",
  definition: {
    uplifts: {
      email: { uplift: 0.1, by_p_alive: s.map(([min, max]) => ({ min, max, uplift: 1 })) },
    },
  },
});

const REPORT = {
  campaign: "spring-97",
  window_end: "1997-12-31",
  reported_at: "1998-01-02T10:00:00.000Z",
};
const learnedFrom = (learned_from: unknown) => ({
  name: "p",
  definition: { uplifts: { email: { uplift: 0.3, learned_from } } },
});

/** [path, body, the field the error must name, and words its message must hold]. */
type Case = [string, unknown, string, string?];
const CASES: Case[] = [
  [
    "/admin/policies",
    { name: "p", definition: { control_share: 0.9 } },
    "definition.control_share",
  ],
  [
    "/admin/policies",
    { name: "p", definition: { control_share: "NaN" } },
    "definition.control_share",
  ],
  [
    "/admin/policies",
    { name: "p", definition: { control_share: -1e-300 } },
    "definition.control_share",
  ],
  [
    "/admin/policies",
    { name: "p", definition: { uplifts: { e: { uplift: 1e308 } } } },
    "definition.uplifts.e.uplift",
  ],
  [
    "/admin/policies",
    { name: "p", definition: { rules: [{ rule: "max_cost", value: -5 }] } },
    "definition.rules.0.value",
  ],
  ["/admin/policies", segments([0.7, 0.3]), "definition.uplifts.email.by_p_alive.0.max"],
  ["/admin/policies", segments([0, 0.3], [0.5, 0.5]), "definition.uplifts.email.by_p_alive.1.max"],
  // A segment the ones before it cover (the first match wins): its uplift was stored, never used.
  [
    "/admin/policies",
    segments([0, 0.5], [0.2, 0.4]),
    "definition.uplifts.email.by_p_alive.1",
    "by_p_alive.0",
  ],
  [
    "/admin/policies",
    segments([0, 0.5], [0.5, 1], [0.9, 1]),
    "definition.uplifts.email.by_p_alive.2",
  ],
  ["/admin/policies", { name: "p", definition: null }, "definition"],
  ["/admin/policies", { name: "", definition: {} }, "name"],
  ["/admin/campaign-links", { campaign: "x", hours: 1e308 }, "hours", "≤ 720"],
  ["/admin/campaign-links", { campaign: "x", hours: 0.001 }, "hours", "≥ 0.01"],
  ["/admin/campaign-links", { campaign: "x", hourz: 2 }, "hourz", 'unknown field "hourz"'],
  // Unknown fields: a typo was dropped and the policy stored without it (no rules at all).
  [
    "/admin/policies",
    { name: "p", definition: { rulez: [{ rule: "max_cost", value: 1 }] } },
    "definition.rulez",
    'unknown field "rulez"',
  ],
  [
    "/admin/policies",
    { name: "p", definition: { rules: [{ rule: "max_cost", value: 1, action: ["a"] }] } },
    "definition.rules.0.action",
  ],
  ["/admin/policies", { name: "p", definition: {}, active: true }, "active"],
  // An action listed twice in a rule's scope: stored as written, as /decision refuses a repeat.
  [
    "/admin/policies",
    {
      name: "p",
      definition: { rules: [{ rule: "max_cost", value: 1, actions: ["a", "b", "a"] }] },
    },
    "definition.rules.0.actions.2",
    'duplicate action id "a"',
  ],
  [
    "/admin/policies",
    { name: "p", definition: { uplifts: { e: { uplift: 200 } } } },
    "definition.uplifts.e.uplift",
    "≤ 100",
  ],
  [
    "/admin/policies",
    { name: "p", definition: { default_action: "x".repeat(129) } },
    "definition.default_action",
  ],
  ["/admin/keys", { name: "k", admin: true }, "admin"],
  ["/admin/campaign-links", { campaign: "../x" }, "campaign"],
  // "__proto__" keys (JSON.parse makes them own fields): a definition holding one was stored
  // (201) with that member silently dropped.
  ...(
    [
      [
        '{"name":"p","definition":{"__proto__":{"rules":[{"rule":"max_cost","value":1}]}}}',
        "definition.__proto__",
      ],
      [
        '{"name":"p","definition":{"rules":[],"__proto__":{"anything":"goes"}}}',
        "definition.__proto__",
      ],
      [
        '{"name":"p","definition":{"uplifts":{"__proto__":{"uplift":0.1}}}}',
        "definition.uplifts.__proto__",
      ],
      ['{"name":"p","__proto__":{"x":1},"definition":{}}', "__proto__"],
    ] as const
  ).map(([raw, field]) => ["/admin/policies", JSON.parse(raw), field] as Case),
  ["/admin/campaign-links", { campaign: 123 }, "campaign"],
  // A learned uplift's lineage (learned_from): text PostgreSQL cannot store, numbers for text,
  // more reports than it keeps.
  ...(
    [
      [{ campaign: "a\u0000b" }, "0.campaign", "NUL"],
      [{ campaign: "a\ud800" }, "0.campaign", "unpaired surrogate"],
      [{ window_end: 1e308 }, "0.window_end"],
      [{ reported_at: "yesterday" }, "0.reported_at"],
      [{ campaign: "x".repeat(4097) }, "0.campaign"],
    ] as const
  ).map(
    ([change, field, words]) =>
      [
        "/admin/policies",
        learnedFrom([{ ...REPORT, ...change }]),
        `definition.uplifts.email.learned_from.${field}`,
        words,
      ] as Case,
  ),
  [
    "/admin/policies",
    learnedFrom(Array.from({ length: 101 }, () => REPORT)),
    "definition.uplifts.email.learned_from",
  ],
  ["/admin/policies", learnedFrom("spring-97"), "definition.uplifts.email.learned_from"],
  [
    "/admin/policies",
    learnedFrom([{ ...REPORT, reportd_at: "x" }]),
    "definition.uplifts.email.learned_from.0.reportd_at",
  ],
];

test("hostile admin inputs: 4xx JSON naming the field", async () => {
  const wrong: string[] = [];
  for (const [path, body, field, words] of CASES) {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    const details = (() => {
      try {
        type Details = Array<{ path: string; message: string }>;
        return (JSON.parse(text) as { error?: { details?: Details } }).error?.details ?? [];
      } catch {
        return [];
      }
    })();
    const paths = details.map((d) => d.path);
    const messages = details.map((d) => d.message).join("\n");
    if (
      res.status < 400 ||
      res.status >= 500 ||
      !paths.includes(field) ||
      (words !== undefined && !messages.includes(words))
    ) {
      wrong.push(`${path} ${JSON.stringify(body)} → ${res.status} ${text.slice(0, 200)}`);
    }
  }
  expect(wrong).toEqual([]);
}, 60_000);

test("segments that can match (max 1 includes P(alive) = 1) are stored", async () => {
  const res = await fetch(`${base}/admin/policies`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    // [1, 1] first: after [0.7, 1] (which holds P(alive) = 1) it would match nobody, refused.
    body: JSON.stringify(segments([1, 1], [0, 0.3], [0.3, 0.7], [0.7, 1])),
  });
  expect(res.status).toBe(201);
});

test('a policy name the store refuses is named once (not "name: name: …")', async () => {
  const res = await fetch(`${base}/admin/policies`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "two words", definition: {} }),
  });
  expect(res.status).toBe(400);
  const { error } = (await res.json()) as {
    error: { message: string; details: Array<{ path: string; message: string }> };
  };
  expect(error.details).toEqual([
    { path: "name", message: "must be 1-128 letters, digits, '.', '_' or '-'" },
  ]);
  expect(error.message).toBe("Invalid body: name: must be 1-128 letters, digits, '.', '_' or '-'");
});

// The lineage `ml campaign learn` writes is taken by the admin route and answered as stored (an
// admin's copy of a learned version keeps it, and with it learn's refusal to learn twice).
test("a policy with learned_from is stored and answered with it", async () => {
  const body = learnedFrom([REPORT, { ...REPORT, campaign: "old | id; empirical Bayes" }]);
  const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
  const res = await fetch(`${base}/admin/policies`, {
    method: "POST",
    headers,
    body: JSON.stringify({ ...body, name: "lineage" }),
  });
  expect(res.status).toBe(201);
  const { version } = (await res.json()) as { version: number };
  const got = await fetch(`${base}/admin/policies/lineage/versions/${version}`, { headers });
  const { definition } = (await got.json()) as { definition: typeof body.definition };
  expect(definition.uplifts.email.learned_from).toEqual(body.definition.uplifts.email.learned_from);
});

test("a policy naming an uplift's action or a field twice is a 400 naming it, nothing stored", async () => {
  // JSON.parse keeps the last of repeated keys: email's uplift 0.1 was dropped and 0.2 stored,
  // and a second "rules" replaced the first, with a 201.
  const cases: Array<[string, string[]]> = [
    [
      '{"name":"twice","definition":{"uplifts":{"email":{"uplift":0.1},"email":{"uplift":0.2}}}}',
      ["definition.uplifts.email"],
    ],
    [
      '{"name":"twice","definition":{"rules":[{"rule":"max_cost","value":1}],"rules":[]}}',
      ["definition.rules"],
    ],
    // The same key spelt with an escape is the same key; one in another object is not a repeat.
    [
      '{"name":"twice","definition":{"uplifts":{"e":{"uplift":0.1,"source":"a"},"\\u0065":{"uplift":0.2}}}}',
      ["definition.uplifts.e"],
    ],
    [
      '{"name":"twice","definition":{"rules":[{"rule":"max_cost","value":1},{"rule":"max_cost","value":2,"value":3}]}}',
      ["definition.rules.1.value"],
    ],
  ];
  for (const [body, paths] of cases) {
    const res = await fetch(`${base}/admin/policies`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body,
    });
    const text = await res.text();
    expect([res.status, text]).toEqual([400, expect.stringContaining("appears twice")]);
    const details = (JSON.parse(text) as { error: { details: Array<{ path: string }> } }).error
      .details;
    expect(details.map((d) => d.path)).toEqual(paths);
  }
  const listed = await fetch(`${base}/admin/policies`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(await listed.text()).not.toContain('"twice"');
  // Keys repeated only across objects are fine.
  const fine = await fetch(`${base}/admin/policies`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: '{"name":"once","definition":{"uplifts":{"a":{"uplift":0.1},"b":{"uplift":0.1}}}}',
  });
  expect(fine.status).toBe(201);
});
