// kill -9 of the decision service while it answers keyed campaign batches that explore
// (exploration_share), with real processes, on the embedded store and on PostgreSQL: after the
// restarts every batch answered 200 has one row per customer, explored and propensity as its
// answer and the keyed draws say; a batch cut off by a kill is logged whole or not at all; each
// re-sent under its key is answered as before (and logged once); the draws are the same after.
import { expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { inArray } from "drizzle-orm";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import {
  forecastStubAroundTests,
  killHard,
  postDecision,
  startDecision,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const { cleanups, tempDir } = cleanupsAfterEach();
const forecast = forecastStubAroundTests();
const SECRET = "exploration-kill-secret-0123456789";
const CAMPAIGN = "explore-kill";
const SHARE = 0.3;
const SIZE = 40;
/** Both eligible for every customer the stub scores; the explored pick is by id: coupon, email. */
const ACTIONS = [
  { id: "email", cost: 1, uplift: 0.2, margin: 10 },
  { id: "coupon", cost: 2, uplift: 0.3, margin: 10 },
];
const ELIGIBLE = ["coupon", "email"];
/**
 * Each round's kill, this long after its first answer (a loaded machine starts slowly): spread
 * from the first batches to a long run.
 */
const KILL_AFTER_MS = [50, 400, 900, 1500];

/**
 * A keyed batch: its customers' prefix, its key, its status (0: cut off by a kill) and the 200's
 * text (null until answered).
 */
interface Sent {
  prefix: string;
  key: string;
  status: number;
  text: string | null;
}

interface Answer {
  selected: Array<{ id: string; action: string; decision_id: string }>;
  campaign: {
    control: Array<{ id: string; decision_id: string }>;
    exploration: { share: number; explored: number };
  };
}

const customersOf = (prefix: string) => Array.from({ length: SIZE }, (_, i) => `${prefix}-${i}`);

const body = (prefix: string) =>
  JSON.stringify({
    customers: customersOf(prefix).map((id, i) => ({
      id,
      summary: { frequency: 1 + (i % 7), recency: 8, T: 10 },
    })),
    horizon: { value: 13, unit: "week" },
    actions: ACTIONS,
    budget: 60,
    campaign: CAMPAIGN,
    control_share: 0.2,
    exploration_share: SHARE,
  });

/** A 52-bit fraction of the MAC at byte `at`, as the README states the draw. */
const fraction = (mac: Buffer, at: number) =>
  (mac.readUInt32BE(at) * 2 ** 20 + (mac.readUInt32BE(at + 4) >>> 12)) / 2 ** 52;

/**
 * The action explored for `customer` (null: not explored), computed here from the README's
 * HMAC rather than the service's code: the same before a kill and after any restart.
 */
function drawnAction(customer: string): string | null {
  const mac = createHmac("sha256", SECRET)
    .update(`\u0001explore\u0000${CAMPAIGN}\u0000${customer}`)
    .digest();
  if (!(fraction(mac, 0) < SHARE)) return null;
  return ELIGIBLE[Math.floor(fraction(mac, 8) * ELIGIBLE.length)] ?? null;
}

/** Keyed batches from 4 clients until the service is killed; each sent once, answered or not. */
function exploringLoad(base: string, round: string) {
  let running = true;
  let answers = 0;
  const clients = Array.from({ length: 4 }, async (_, c) => {
    const sent: Sent[] = [];
    for (let n = 0; running; n++) {
      const prefix = `${round}-${c}-${n}`;
      const key = `explore-key-${prefix}`;
      const batch: Sent = { prefix, key, status: 0, text: null };
      sent.push(batch);
      try {
        const res = await postDecision(`${base}/decision/batch`, body(prefix), { key });
        const text = await res.text();
        batch.status = res.status;
        if (res.status !== 200) return sent; // a failure the test counts, not one to retry
        batch.text = text;
        answers++;
      } catch {
        return sent; // reset or refused: the service was killed under this batch
      }
    }
    return sent;
  });
  return {
    /** Resolves at the first answer of the round (or after 30 s without one). */
    answered: async () => {
      for (const end = Date.now() + 30_000; Date.now() < end; await Bun.sleep(10)) {
        if (answers > 0) return;
      }
    },
    stop: async () => {
      running = false;
      return (await Promise.all(clients)).flat();
    },
  };
}

type Row = typeof decisionLog.$inferSelect;

/** The log's rows about the customers of `prefixes`, by customer. */
async function rowsOf(db: DatabaseHandle, prefixes: string[]): Promise<Map<string, Row[]>> {
  const byCustomer = new Map<string, Row[]>();
  const customers = prefixes.flatMap(customersOf);
  for (let i = 0; i < customers.length; i += 2000) {
    const rows = await db.db
      .select()
      .from(decisionLog)
      .where(inArray(decisionLog.customerId, customers.slice(i, i + 2000)));
    for (const r of rows)
      byCustomer.set(r.customerId, [...(byCustomer.get(r.customerId) ?? []), r]);
  }
  return byCustomer;
}

/** The propensity a treated row's action has: ε/K if drawable, plus 1 − ε if the greedy one. */
const propensity = (action: string, greedy: boolean) =>
  (ELIGIBLE.includes(action) ? SHARE / ELIGIBLE.length : 0) + (greedy ? 1 - SHARE : 0);

/**
 * Each row about an answered batch's customer is the answer's: its decision id and action, its
 * group, explored exactly when the keyed draw explores a treated customer (with the drawn action),
 * and its propensity. Returns the rows explored.
 */
function expectRowsAsAnswered(batch: Sent, rows: Map<string, Row[]>): number {
  const answer = JSON.parse(batch.text as string) as Answer;
  const selected = new Map(answer.selected.map((s) => [s.id, s]));
  const control = new Map(answer.campaign.control.map((c) => [c.id, c]));
  let explored = 0;
  for (const customer of customersOf(batch.prefix)) {
    const [row, ...more] = rows.get(customer) ?? [];
    expect({ customer, rows: more.length + (row ? 1 : 0) }).toEqual({ customer, rows: 1 });
    const r = row as Row;
    expect((r.scores as { options: unknown[] }).options).toHaveLength(ELIGIBLE.length);
    if (control.has(customer)) {
      const logged = { id: r.decisionId, group: r.assignmentGroup, explored: r.explored };
      const id = (control.get(customer) as { decision_id: string }).decision_id;
      const given = { id, group: "control", explored: null };
      expect({ ...logged, propensity: r.propensity }).toEqual({ ...given, propensity: null });
      continue;
    }
    const pick = selected.get(customer);
    const drawn = drawnAction(customer);
    const got = { group: r.assignmentGroup, action: r.chosenAction, explored: r.explored };
    expect(got).toEqual({
      group: "treated",
      action: drawn ?? pick?.action ?? "none",
      explored: drawn !== null,
    });
    if (pick) expect(r.decisionId).toBe(pick.decision_id);
    const p = r.propensity as number;
    if (drawn === null) expect(p).toBe(propensity(r.chosenAction, true));
    else expect([propensity(drawn, false), propensity(drawn, true)]).toContain(p);
    if (drawn !== null) explored++;
  }
  expect(answer.campaign.exploration).toEqual({ share: SHARE, explored });
  return explored;
}

/** How many of a batch's customers have a row (a batch cut off by a kill: 0 or all). */
const loggedOf = (batch: Sent, rows: Map<string, Row[]>) =>
  customersOf(batch.prefix).filter((c) => rows.has(c)).length;

/** Each batch re-sent under its key: answered 200, the same text as before when it had one. */
async function resent(base: string, batches: Sent[]): Promise<void> {
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (b) => {
        const res = await postDecision(`${base}/decision/batch`, body(b.prefix), { key: b.key });
        const text = await res.text();
        expect({ batch: b.prefix, status: res.status }).toEqual({ batch: b.prefix, status: 200 });
        if (b.text !== null) expect(text).toBe(b.text);
        b.text = text;
      }),
    );
  }
}

/** Request bodies (raw text) with a hostile share or campaign, and the field their 400 names. */
const HOSTILE: Array<[string, string]> = [
  ['"exploration_share":1e308', "exploration_share"],
  ['"exploration_share":1e999', "exploration_share"],
  ['"exploration_share":-5e-324', "exploration_share"],
  ['"exploration_share":"0.2\\u0000"', "exploration_share"],
  ['"campaign":"a\\u0000b"', "campaign"],
  ['"campaign":"a\\ud800"', "campaign"],
  ['"campaign":"\\udc00b"', "campaign"],
];

/** Each hostile body (the batch of `prefix` with one field replaced) is a 400 naming its field. */
async function expectHostileRefused(base: string, prefix: string): Promise<void> {
  for (const [field, name] of HOSTILE) {
    const key = field.slice(0, field.indexOf(":"));
    const text = body(prefix).replace(new RegExp(`${key}:[^,}]*`), field);
    expect(text).toContain(field);
    const res = await postDecision(`${base}/decision/batch`, text);
    const error = (await res.json()) as { error: { details: Array<{ path: string }> } };
    expect({ field, status: res.status, path: error.error.details[0]?.path }).toEqual({
      field,
      status: 400,
      path: name,
    });
  }
}

/** An answer without its drawn ids, to compare two decisions of the same customers. */
const withoutIds = (text: string) => text.replace(/"(batch_id|decision_id)":"[^"]*"/g, '"$1":"…"');

/** Rounds of exploring load on the service `start` makes, each killed at its moment: all sent. */
async function killRounds(start: () => Promise<ServiceProcess>): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (const [round, ms] of KILL_AFTER_MS.entries()) {
    const service = await start();
    cleanups.push(() => (service.exited() ? undefined : killHard(service)));
    const load = exploringLoad(service.base, `r${round}`);
    await load.answered();
    await Bun.sleep(ms);
    await killHard(service);
    sent.push(...(await load.stop()));
  }
  // Answered or cut off by the kill: no batch failed otherwise (a 500, a 503, a 422).
  expect(sent.filter((b) => b.status !== 200 && b.status !== 0)).toEqual([]);
  return sent;
}

/**
 * What the log kept of the batches sent, counted: none of the answered customers lost, no batch
 * cut off by a kill half-logged, each answered row as its answer and draw say.
 */
async function expectKept(store: DatabaseHandle, sent: Sent[]): Promise<void> {
  const answered = sent.filter((b) => b.text !== null);
  const before = await rowsOf(
    store,
    sent.map((b) => b.prefix),
  );
  const customers = answered.flatMap((b) => customersOf(b.prefix));
  const rows = customers.reduce((n, c) => n + (before.get(c)?.length ?? 0), 0);
  const lost = customers.filter((c) => !before.has(c));
  const cut = sent
    .filter((b) => b.text === null)
    .map((b) => ({ batch: b.prefix, logged: loggedOf(b, before) }));
  const half = cut.filter((c) => c.logged !== 0 && c.logged !== SIZE);
  console.error(
    `answered ${answered.length} batches (${customers.length} customers), logged ${rows} rows,`,
    `lost ${lost.length}; cut off by a kill: ${cut.length}`,
    `(${cut.filter((c) => c.logged === SIZE).length} logged whole, ${half.length} half)`,
  );
  expect(lost).toEqual([]);
  expect(half).toEqual([]);
  let explored = 0;
  for (const b of answered) explored += expectRowsAsAnswered(b, before);
  console.error(`explored ${explored} of the answered customers, as drawn`);
  expect(answered.length).toBeGreaterThanOrEqual(KILL_AFTER_MS.length);
}

/**
 * Kill rounds, then on a restarted service: what was kept; every batch re-sent under its key
 * (answered as before, then all logged once); one batch of each round under a new key (the same
 * draws after the restarts); hostile fields refused.
 */
async function killedWhileExploring(
  start: () => Promise<ServiceProcess>,
  db: () => Promise<DatabaseHandle>,
): Promise<void> {
  const sent = await killRounds(start);
  const service = await start();
  cleanups.push(() => (service.exited() ? undefined : killHard(service)));
  const store = await db();
  await expectKept(store, sent);
  await resent(service.base, sent);
  const after = await rowsOf(
    store,
    sent.map((b) => b.prefix),
  );
  for (const b of sent) expectRowsAsAnswered(b, after);
  const firsts = KILL_AFTER_MS.map((_, r) => sent.find((b) => b.prefix.startsWith(`r${r}-`)));
  for (const b of firsts) {
    if (!b) continue;
    const res = await postDecision(`${service.base}/decision/batch`, body(b.prefix), {
      key: `${b.key}-again`,
    });
    expect(withoutIds(await res.text())).toBe(withoutIds(b.text as string));
  }
  await expectHostileRefused(service.base, "hostile");
}

test("embedded store: kill -9 mid exploring batches: answered logged as answered, none half", async () => {
  const dataDir = join(tempDir("pp-explore-kill-"), "store");
  const env = { DATABASE_URL: "", DATA_DIR: dataDir, DECISION_DATA_DIR: dataDir };
  const start = () => startDecision(forecast.url, { ...env, CAMPAIGN_SECRET: SECRET });
  const db = async () => {
    const handle = await createDatabase({ dataDir });
    cleanups.push(() => handle.close());
    return handle;
  };
  await killedWhileExploring(start, db);
}, 120_000);

test("PostgreSQL: kill -9 mid exploring batches: answered logged as answered, none half", async () => {
  const pg = await openTestDatabase("postgres");
  cleanups.push(() => pg.cleanup());
  const env = { DATABASE_URL: pg.options.databaseUrl as string, CAMPAIGN_SECRET: SECRET };
  const start = () => startDecision(forecast.url, env);
  await killedWhileExploring(start, async () => pg.handle);
}, 120_000);
