// Test support for keyed /decision/batch under real outages: clients that retry each batch
// until answered, and what the log holds about the answered batches (one row per customer,
// each answered decision id the row about its customer, a re-send replayed byte for byte).
import type { Database } from "@pp/shared/db/database.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { inArray } from "drizzle-orm";
import { postDecision } from "./decision-traffic.ts";
import { postUntilAnswered, rowsPerCustomer, type StatusTally } from "./keyed-clients.ts";

/**
 * Customers per batch. With 16 clients, more than one insert's 1,000 rows wait through an outage,
 * and 1,000 is no multiple of 70: a batch is split across statements (its answer row in one,
 * some of its other rows in the next), the case decision-log.ts must write whole.
 */
export const BATCH_SIZE = 70;

/**
 * A batch's body: `size` customers `prefix-0..` given by summary; the default budget selects some
 * of BATCH_SIZE and leaves others out.
 */
export const batchBody = (prefix: string, size = BATCH_SIZE, budget = 4) =>
  JSON.stringify({
    customers: Array.from({ length: size }, (_, i) => ({
      id: `${prefix}-${i}`,
      summary: { frequency: 1 + (i % 7), recency: 10, T: 20 },
    })),
    horizon: { value: 13, unit: "week" },
    actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
    budget,
  });

/** One answered batch: its customers' prefix, the key it was sent under and the 200's text. */
export interface BatchAnswered {
  prefix: string;
  key: string;
  text: string;
  attempts: number;
}

/**
 * 16 clients sending keyed batches of new customers (`prefix-client-i-n`) until stopped, each
 * batch to every service in `bases` at once (the same key and body), retried until each answers;
 * `differing` counts batches the services answered differently.
 */
export function retryingBatchClients(
  bases: string | string[],
  prefix: string,
  statuses?: StatusTally,
) {
  const urls = (Array.isArray(bases) ? bases : [bases]).map((b) => `${b}/decision/batch`);
  let running = true;
  let differing = 0;
  const all = Promise.all(
    Array.from({ length: 16 }, async (_, c) => {
      const answered: BatchAnswered[] = [];
      for (let i = 0; running; i++) {
        const batch = `${prefix}-${c}-${i}`;
        const key = `batch-key-${batch}`;
        const each = await Promise.all(
          urls.map((url) => postUntilAnswered(url, batchBody(batch), { key, statuses })),
        );
        if (new Set(each.map((a) => a.text)).size > 1) differing++;
        const attempts = Math.max(...each.map((a) => a.attempts));
        answered.push({ prefix: batch, key, text: (each[0] as BatchAnswered).text, attempts });
      }
      return answered;
    }),
  ).then((lists) => lists.flat());
  return {
    async stop() {
      running = false;
      return { batches: await all, differing };
    },
  };
}

const customersOf = (b: BatchAnswered) =>
  Array.from({ length: BATCH_SIZE }, (_, i) => `${b.prefix}-${i}`);

/** The decision ids a batch's answer gave, each with the customer it was given for. */
function idsAnswered(b: BatchAnswered): Array<{ id: string; customer: string }> {
  const answer = JSON.parse(b.text) as {
    selected: Array<{ id: string; decision_id: string }>;
    campaign?: { control: Array<{ id: string; decision_id: string }> };
  };
  return [...answer.selected, ...(answer.campaign?.control ?? [])].map((s) => ({
    id: s.decision_id,
    customer: s.id,
  }));
}

/**
 * What the log holds about answered batches: rows about their customers (one each is right), and
 * the prefixes of batches with an answered decision id that is not a row about its customer.
 */
export async function batchesInLog(
  db: Database,
  batches: BatchAnswered[],
): Promise<{ rows: number; customers: number; notKept: string[] }> {
  const customers = batches.flatMap(customersOf);
  let rows = 0;
  for (let i = 0; i < customers.length; i += 5000) {
    for (const n of (await rowsPerCustomer(db, customers.slice(i, i + 5000))).values()) rows += n;
  }
  const given = batches.map((b) => ({ prefix: b.prefix, ids: idsAnswered(b) }));
  const ids = given.flatMap((g) => g.ids.map((x) => x.id));
  const kept = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 5000) {
    const found = await db
      .select({ id: decisionLog.decisionId, customer: decisionLog.customerId })
      .from(decisionLog)
      .where(inArray(decisionLog.decisionId, ids.slice(i, i + 5000)));
    for (const r of found) kept.set(r.id, r.customer);
  }
  const notKept = given
    .filter((g) => g.ids.some((x) => kept.get(x.id) !== x.customer))
    .map((g) => g.prefix);
  return { rows, customers: customers.length, notKept };
}

/** Each answered batch sent again under its key: the prefixes not replayed byte for byte. */
export async function batchesNotReplayed(base: string, batches: BatchAnswered[]) {
  const wrong: string[] = [];
  for (const b of batches) {
    const res = await postDecision(`${base}/decision/batch`, batchBody(b.prefix), { key: b.key });
    const text = await res.text();
    const replayed = res.headers.get("idempotent-replayed") === "true";
    if (res.status !== 200 || text !== b.text || !replayed) wrong.push(b.prefix);
  }
  return wrong;
}
