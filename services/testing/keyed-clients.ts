// Test support for real-process Idempotency-Key tests: clients that retry every failed decision
// (as a real client must, not knowing whether it was decided), keyed or not, and the rows the
// log holds about their customers ("one row per key" as a number).
import type { Database } from "@pp/shared/db/database.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { count, inArray, sql } from "drizzle-orm";
import { postDecision } from "./decision-traffic.ts";

/** A single decision's body for a customer given by summary (the forecast stub scores it). */
export const keyedBody = (customer: string) =>
  JSON.stringify({
    customer: { id: customer, summary: { frequency: 2, recency: 10, T: 20 } },
    horizon: { value: 13, unit: "week" },
    actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
  });

/** One customer's answer: the 200's text and how many attempts it took. */
export interface Answer {
  customer: string;
  text: string;
  attempts: number;
}

/** Every status an attempt ended with (0: refused, reset or timed out), counted. */
export type StatusTally = Map<number, number>;

const tally = (statuses: StatusTally | undefined, status: number) =>
  statuses?.set(status, (statuses.get(status) ?? 0) + 1);

/**
 * POST `body` to `url` (with `key` when given) until a 200: its text and the attempts it took.
 * `impatientMs`: the first attempt gives up after that long (a client timeout) while the
 * service goes on deciding it.
 */
export async function postUntilAnswered(
  url: string,
  body: string,
  options: { key?: string; impatientMs?: number; statuses?: StatusTally },
): Promise<Omit<Answer, "customer">> {
  const { key, impatientMs, statuses } = options;
  for (let attempt = 1; ; attempt++) {
    let status = 0;
    try {
      const signal = attempt === 1 && impatientMs ? AbortSignal.timeout(impatientMs) : undefined;
      const res = await postDecision(url, body, {
        ...(key ? { key } : {}),
        ...(signal ? { signal } : {}),
      });
      status = res.status;
      const text = await res.text();
      if (status === 200) {
        tally(statuses, status);
        return { text, attempts: attempt };
      }
    } catch {
      // refused or reset (the service is down or was killed mid-request), or timed out
    }
    tally(statuses, status);
    await Bun.sleep(50);
  }
}

/** POST /decision for `customer` (with `key` when given) until a 200. */
export const decideUntilAnswered = (
  base: string,
  customer: string,
  options: { key?: string; impatientMs?: number; statuses?: StatusTally } = {},
) => postUntilAnswered(`${base}/decision`, keyedBody(customer), options);

/** 8 clients deciding for new customers of their own (`prefix-client-i`) until stopped. */
export function retryingClients(
  base: string,
  prefix: string,
  options: { keyed: boolean; impatientMs?: number; statuses?: StatusTally },
) {
  let running = true;
  const all = Promise.all(
    Array.from({ length: 8 }, async (_, c) => {
      const answers: Answer[] = [];
      for (let i = 0; running; i++) {
        const customer = `${prefix}-${c}-${i}`;
        const key = options.keyed ? `key-${customer}` : undefined;
        const answer = await decideUntilAnswered(base, customer, { ...options, key });
        answers.push({ customer, ...answer });
      }
      return answers;
    }),
  ).then((lists) => lists.flat());
  return {
    stop() {
      running = false;
      return all;
    },
  };
}

export const retried = (answers: Answer[]) => answers.filter((a) => a.attempts > 1).length;

/** Rows in the log about each customer, in one query. */
export async function rowsPerCustomer(
  db: Database,
  customers: string[],
): Promise<Map<string, number>> {
  const rows = await db
    .select({ customer: decisionLog.customerId, n: count() })
    .from(decisionLog)
    .where(inArray(decisionLog.customerId, customers))
    .groupBy(decisionLog.customerId);
  return new Map(rows.map((r) => [r.customer, r.n]));
}

/** Rows about all of `answers`' customers together. */
export async function rowsAbout(db: Database, answers: Answer[]): Promise<number> {
  const counts = await rowsPerCustomer(
    db,
    answers.map((a) => a.customer),
  );
  let rows = 0;
  for (const n of counts.values()) rows += n;
  return rows;
}

/**
 * Answered keyed decisions whose answer is not the one the log keeps under their key (the row
 * with the answer's decision_id, about its customer, whose `answer_json` is the text sent).
 */
export async function answersNotKept(db: Database, answers: Answer[]): Promise<string[]> {
  const ids = answers.map((a) => (JSON.parse(a.text) as { decision_id: string }).decision_id);
  const rows = await db
    .select({
      id: decisionLog.decisionId,
      customer: decisionLog.customerId,
      answerJson: sql<string | null>`${decisionLog.scores}->>'answer_json'`,
    })
    .from(decisionLog)
    .where(inArray(decisionLog.decisionId, ids));
  const kept = new Map(rows.map((r) => [r.id, r]));
  return answers
    .filter((a, i) => {
      const row = kept.get(ids[i] as string);
      return row?.customer !== a.customer || row.answerJson !== a.text;
    })
    .map((a) => a.customer);
}

/**
 * Each customer's keyed decision sent to every service at once (20 customers at a time), each
 * retried until answered: the answers (the first service's text, the most attempts any service
 * took) and how many customers got answers that differ between the services.
 */
export async function sentToBoth(
  bases: string[],
  customers: string[],
  statuses?: StatusTally,
): Promise<{ answers: Answer[]; differing: number }> {
  const answers: Answer[] = [];
  let differing = 0;
  for (let i = 0; i < customers.length; i += 20) {
    await Promise.all(
      customers.slice(i, i + 20).map(async (customer) => {
        const key = `key-${customer}`;
        const each = await Promise.all(
          bases.map((base) => decideUntilAnswered(base, customer, { key, statuses })),
        );
        if (new Set(each.map((a) => a.text)).size > 1) differing++;
        const attempts = Math.max(...each.map((a) => a.attempts));
        answers.push({ customer, text: (each[0] as Answer).text, attempts });
      }),
    );
  }
  return { answers, differing };
}
