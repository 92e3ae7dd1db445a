// `Idempotency-Key` on POST /decision: a client that retries after a timeout, a dropped
// connection or a restart of the service gets the decision already made, not a second one. The
// key (per API key) fixes the decision's id, so two attempts can only ever write one row; the
// row keeps the answer given and a hash of the request, so a retry is answered from the log
// (`Idempotent-Replayed: true`) and a key reused for another request is refused (422).
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import type { DecisionLogRow, NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { ANSWER_HEADERS } from "@pp/shared/http/answer-headers.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { requestScope } from "@pp/shared/process/request-scope.ts";
import {
  ANSWER_JSON,
  ANSWER_ROW,
  DecisionLogRepository,
  type KeptAnswer,
} from "@pp/shared/registry/decision-log.ts";
import * as z from "zod";
import type { DecisionDeps } from "../deps.ts";
import type { BatchRequest, DecisionRequest } from "../routes/decision-schemas.ts";
import { type BatchAnswer, decideBatch } from "./decide-batch.ts";
import { type DecisionAnswer, decideOne } from "./decide-one.ts";
import { readForDecisions } from "./decision-read.ts";
import { batchWithIds, batchWithoutIds } from "./keyed-batch-answer.ts";
import { erasedCustomerError } from "./record-decisions.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** What a key may be: 1–255 visible ASCII characters (as Stripe and the IETF draft allow). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;
const KEY_PROBLEM = "must be 1 to 255 visible ASCII characters (no spaces), e.g. a UUID";

/** The header as the OpenAPI document describes it (the check below uses the same shape). */
export const idempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .regex(KEY_SHAPE, { error: KEY_PROBLEM })
    .optional()
    .describe(
      "Makes a retry safe: the first request under a key decides; a later one with the same key and body gets that decision back (header Idempotent-Replayed: true), one with another body a 422. Keys are per API key and last as long as the decision stays in the log.",
    ),
});

/** The key of a request, null without the header; a malformed one is a 400 naming the header. */
export function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (KEY_SHAPE.test(header)) return header;
  throw new AppError("bad_request", `Invalid ${IDEMPOTENCY_HEADER} header`, {
    details: [{ path: IDEMPOTENCY_HEADER, message: KEY_PROBLEM }],
  });
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The decision id a key stands for: a UUID (version 8, RFC 9562) from SHA-256 of caller and key. */
export async function idempotentDecisionId(caller: string, key: string): Promise<string> {
  const h = await sha256Hex(utf8(`decision\n${caller}\n${key}`));
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The hash a stored decision keeps of its request (the validated body, so key order is moot). */
function requestHash(body: DecisionRequest | BatchRequest): Promise<string> {
  return sha256Hex(utf8(JSON.stringify(body)));
}

/** The decision routes a key can be sent to. */
type KeyedRoute = "/decision" | "/decision/batch";

/**
 * A keyed request's fixed id and its request's hash. Both routes keep their answer under the
 * single decision's id, so a key sent to both at once contends for one row, in any process; a
 * batch's row says so (KEYED_ROUTE). Batches answered before kept theirs under an id of their own
 * (`legacyBatchId`), still read.
 */
export interface Idempotency {
  decisionId: string;
  requestSha256: string;
  /** Customers the request decides about: refused with it when the log cannot be read. */
  customers: number;
  route: KeyedRoute;
  legacyBatchId: string;
}

/** In a keyed batch's answer row: the route, which shares its id with the single decision's. */
export const KEYED_ROUTE = "keyed_route";

/**
 * A keyed request's rows: each with the request's hash, the first also with the answer as sent,
 * the others naming the first (so the log writes them only beside it: decision-log.ts).
 */
function sealRows(
  rows: NewDecisionLogRow[],
  idempotency: Idempotency,
  answerJson: string,
): NewDecisionLogRow[] {
  const answerRow = rows[0]?.decisionId;
  return rows.map((row, i) => ({
    ...row,
    inputs: {
      ...row.inputs,
      request_sha256: idempotency.requestSha256,
      ...(i > 0 ? { [ANSWER_ROW]: answerRow } : {}),
      ...(i === 0 && idempotency.route === "/decision/batch"
        ? { [KEYED_ROUTE]: idempotency.route }
        : {}),
    },
    ...(i === 0 ? { scores: { ...row.scores, [ANSWER_JSON]: answerJson } } : {}),
  }));
}

/** A keyed decision's stored answer (the JSON sent) and request hash, or null without one. */
function storedAnswer(row: DecisionLogRow | null): { json: string; hash: unknown } | null {
  const json = (row?.scores as Record<string, unknown> | undefined)?.[ANSWER_JSON];
  if (!row || typeof json !== "string") return null;
  return { json, hash: (row.inputs as { request_sha256?: unknown }).request_sha256 };
}

/** A read of the key's rows; a log that cannot be read is a 503 (retry), never a guess. */
function readKeyed<T>(
  deps: DecisionDeps,
  idempotency: Idempotency,
  what: string,
  read: (log: DecisionLogRepository) => Promise<T>,
): Promise<T> {
  return readForDecisions(deps, {
    customers: idempotency.customers,
    what: `reading the ${IDEMPOTENCY_HEADER}'s ${what}`,
    refusal: `Decision log unavailable: cannot check the ${IDEMPOTENCY_HEADER}; retry shortly`,
    read: async () => read(new DecisionLogRepository(await deps.database())),
  });
}

/** The key's row on this route and on the other, read from the log in one lookup. */
async function keyedRows(
  deps: DecisionDeps,
  idempotency: Idempotency,
): Promise<{ own: DecisionLogRow | null; other: DecisionLogRow | null }> {
  const { decisionId, legacyBatchId } = idempotency;
  const rows = await readKeyed(deps, idempotency, "decision", (log) =>
    log.getMany([decisionId, legacyBatchId]),
  );
  const atKey = rows.find((r) => r.decisionId === decisionId) ?? null;
  const batchAtKey = (atKey?.inputs as Record<string, unknown> | undefined)?.[KEYED_ROUTE];
  const batch = batchAtKey ? atKey : (rows.find((r) => r.decisionId === legacyBatchId) ?? null);
  const single = batchAtKey ? null : atKey;
  return idempotency.route === "/decision"
    ? { own: single, other: batch }
    : { own: batch, other: single };
}

/** The answer already given for this key (as sent), null when none was; 422 for another request. */
async function replayOf(deps: DecisionDeps, idempotency: Idempotency): Promise<string | null> {
  const rows = await keyedRows(deps, idempotency);
  if (storedAnswer(rows.other)) {
    // One key, one request: the same key on the other route decided again, beside the first.
    const path = idempotency.route === "/decision" ? "/decision/batch" : "/decision";
    throw new AppError(
      "unprocessable",
      `This ${IDEMPOTENCY_HEADER} was used for a POST ${path} request: send a new key for a new decision`,
      { details: [{ path: IDEMPOTENCY_HEADER, message: `already used on POST ${path}` }] },
    );
  }
  const stored = storedAnswer(rows.own);
  if (!stored) return null;
  if (stored.hash !== idempotency.requestSha256) {
    throw new AppError(
      "unprocessable",
      `This ${IDEMPOTENCY_HEADER} was used for another request: send a new key for a new decision`,
      {
        details: [
          {
            path: IDEMPOTENCY_HEADER,
            message: `already used by decision ${idempotency.decisionId} with a different body`,
          },
        ],
      },
    );
  }
  return stored.json;
}

/** What a keyed request is answered: the JSON, and whether it is a replay of an earlier one. */
export interface KeyedAnswer<T> {
  json: string;
  /** The id of the row that keeps the answer. */
  decisionId: string;
  /** The decision made now (null when the answer is an earlier one's). */
  decided: T | null;
  replayed: boolean;
}

/**
 * Keyed decisions in flight in this process, on either route: a second request with the same key
 * and body waits for the first and gets its answer instead of deciding beside it; one with the
 * same key and another body (or on the other route) is a 409 (as the IETF draft has it) rather
 * than a second decision under the key. Both routes share one (app.ts).
 */
export class DecisionsInFlight {
  private readonly running = new Map<
    string,
    { hash: string; answer: Promise<KeyedAnswer<unknown>> }
  >();

  run<T>(
    idempotency: Pick<Idempotency, "decisionId" | "requestSha256">,
    decide: () => Promise<KeyedAnswer<T>>,
  ): Promise<KeyedAnswer<T>> {
    const { decisionId, requestSha256 } = idempotency;
    // On Workers only the request that began a decision may wait on it; another decides as a
    // second process would (the key's fixed ids keep one row; shared/process/request-scope.ts).
    if (requestScope() !== undefined) return decide();
    const running = this.running.get(decisionId);
    if (running && running.hash !== requestSha256) {
      throw new AppError(
        "conflict",
        `A request with this ${IDEMPOTENCY_HEADER} and another body is still being decided`,
        {
          details: [{ path: IDEMPOTENCY_HEADER, message: "in use by a request still in flight" }],
          headers: { "Retry-After": "1" },
        },
      );
    }
    if (running) {
      return (running.answer as Promise<KeyedAnswer<T>>).then((a) => ({
        ...a,
        decided: null,
        replayed: true,
      }));
    }
    const answer = decide().finally(() => this.running.delete(decisionId));
    this.running.set(decisionId, { hash: requestSha256, answer });
    return answer;
  }
}

/** decision_idempotent_replays_total{kind}: requests answered with an earlier decision. */
export function replayCounter(metrics: MetricsRegistry) {
  const replays = metrics.counter({
    name: "decision_idempotent_replays_total",
    help: "Requests answered with the decision an earlier one under the same Idempotency-Key made, by kind (single, batch).",
    labelNames: ["kind"],
  });
  // Both series from the start at 0, so a rate over them is defined before the first replay.
  for (const kind of ["single", "batch"]) replays.inc({ kind }, 0);
  return replays;
}

/** The response of a keyed request: the JSON as first sent, byte for byte (kept as text: jsonb
 * would reorder its keys), marked when it is a replay. Built here, so it carries ANSWER_HEADERS
 * itself (Hono adds them only to answers it builds). */
export function keyedResponse(answer: KeyedAnswer<unknown>): Response {
  return new Response(answer.json, {
    status: 200,
    headers: {
      ...ANSWER_HEADERS,
      "content-type": "application/json",
      ...(answer.replayed ? { [REPLAYED_HEADER]: "true" } : {}),
    },
  });
}

/** One keyed request: where its answer is kept, how to decide it, and how it is kept and sent. */
interface KeyedRequest<T> {
  idempotency: Idempotency;
  decide(): Promise<T>;
  /** The JSON to send from the text the row keeps. */
  fromStored(text: string): string;
}

/**
 * The stored answer when the key was answered before; else a decision under the key's ids,
 * answered as the log keeps it (another process deciding under the same key at the same moment
 * wrote the one row: both answer with it).
 */
async function answerKeyed<T>(
  deps: DecisionDeps,
  inFlight: DecisionsInFlight,
  request: KeyedRequest<T>,
): Promise<KeyedAnswer<T>> {
  const { idempotency } = request;
  const { decisionId } = idempotency;
  // The log is read once the key is held: read before, a request on the other route that
  // finished in between was not seen, and both routes decided under one key.
  return inFlight.run(idempotency, async () => {
    const earlier = await replayOf(deps, idempotency);
    if (earlier !== null) {
      return { json: request.fromStored(earlier), decisionId, decided: null, replayed: true };
    }
    const decided = await request.decide();
    const json = JSON.stringify(decided);
    // Null: no row keeps an answer (a row an erasure skipped is refused in `decide`, a 409).
    const kept = await replayOf(deps, idempotency);
    const answer = kept === null ? json : request.fromStored(kept);
    const mine = answer === json;
    return { json: answer, decisionId, decided: mine ? decided : null, replayed: !mine };
  });
}

/** POST /decision under an Idempotency-Key. */
export async function decideIdempotently(
  deps: DecisionDeps,
  inFlight: DecisionsInFlight,
  request: { caller: string; key: string; body: DecisionRequest },
): Promise<KeyedAnswer<DecisionAnswer>> {
  const decisionId = await idempotentDecisionId(request.caller, request.key);
  const idempotency: Idempotency = {
    decisionId,
    requestSha256: await requestHash(request.body),
    customers: 1,
    route: "/decision",
    legacyBatchId: await legacyBatchHolderId(request.caller, request.key),
  };
  return answerKeyed(deps, inFlight, {
    idempotency,
    decide: () =>
      decideOne(deps, request.body, {
        decisionId,
        seal: (rows, answer) => sealRows(rows, idempotency, JSON.stringify(answer)),
      }),
    fromStored: (text) => text,
  });
}

/**
 * A keyed batch partly erased while other rows under the key stay: its answer row's customer
 * (the row went with their decisions) or another member (the erasure drops the answer the row
 * kept, which held their decision: decision-log.ts dropKeptAnswers). Deciding again would answer
 * with decisions the log contradicts (the members' fixed ids already hold the first decisions,
 * so the new ones are not written). Rows and answer are written in one transaction, so rows
 * without a kept answer mean an erasure; rows with one are another process's decision, answered
 * by answerKeyed as its own.
 */
async function refuseIfAnswerErased(
  deps: DecisionDeps,
  idempotency: Idempotency,
  memberIds: readonly string[],
): Promise<void> {
  const stored = await readKeyed(deps, idempotency, "decisions", (log) =>
    log.anyStored([idempotency.decisionId, ...memberIds]),
  );
  if (!stored || (await replayOf(deps, idempotency)) !== null) return;
  throw new AppError(
    "conflict",
    `This ${IDEMPOTENCY_HEADER}'s batch was partly erased (a customer's decisions, and with them its kept answer): ` +
      "its answer cannot be replayed, and deciding again would contradict the decisions still logged under it. " +
      "This is final (retrying this key will never succeed): send the batch under a new key",
    {
      details: [
        {
          path: IDEMPOTENCY_HEADER,
          message:
            "refused for good: its batch's answer was erased with a customer's decisions; use a new key",
        },
      ],
    },
  );
}

/**
 * A keyed batch of which the log skipped members erased moments ago: the answer row keeps the
 * answer without them (replays say what this request says), written in the rows' own commit
 * (decision-log.ts appendDecisionsReporting). Null when the answer row itself was skipped.
 */
function amendedBatch(
  idempotency: Idempotency,
  erased: ReadonlySet<string>,
  json: () => string,
): KeptAnswer | null {
  const { decisionId, requestSha256 } = idempotency;
  if (erased.has(decisionId.toLowerCase())) return null;
  return { decisionId, requestSha256, answerJson: json() };
}

/**
 * When the answer row itself was skipped (its customer erased moments ago), nothing keeps the
 * answer: the batch is a 409. Its other rows are skipped with it (decision-log.ts
 * APPEND_KEYED_SQL), so nothing stays under the key and the same key may be sent again once the
 * erasure's second is past: a client retrying a 409 with its key decides then. (The other rows
 * used to stay, and the key was refused for good by refuseIfAnswerErased.)
 */
function refuseIfHolderErased(
  idempotency: Idempotency,
  rows: readonly NewDecisionLogRow[],
  erased: ReadonlySet<string>,
): void {
  const { decisionId } = idempotency;
  if (!erased.has(decisionId.toLowerCase())) return;
  const holder = rows.find((row) => row.decisionId === decisionId)?.customerId ?? "";
  throw erasedCustomerError(holder, IDEMPOTENCY_HEADER);
}

/** The id of the row that kept a keyed batch's answer before both routes kept it under one id. */
const legacyBatchHolderId = (caller: string, key: string) =>
  idempotentDecisionId(caller, `${key}\nbatch`);

/** POST /decision/batch under an Idempotency-Key: the first row written keeps the answer. */
export async function decideBatchIdempotently(
  deps: DecisionDeps,
  inFlight: DecisionsInFlight,
  request: { caller: string; key: string; body: BatchRequest },
): Promise<KeyedAnswer<BatchAnswer>> {
  const { caller, key, body } = request;
  // The answer row takes the single decision's id: a key sent to both routes contends for it.
  const holder = await idempotentDecisionId(caller, key);
  const idempotency: Idempotency = {
    decisionId: holder,
    requestSha256: await requestHash(body),
    customers: body.customers.length,
    route: "/decision/batch",
    legacyBatchId: await legacyBatchHolderId(caller, key),
  };
  const ids = body.customers.map((c) => c.id);
  // The members' ids (a hash each, up to 10,000) only when deciding, never for a replay.
  const decide = async () => {
    const memberIds = await Promise.all(
      ids.map((_, i) => idempotentDecisionId(caller, `${key}\nbatch ${i}`)),
    );
    await refuseIfAnswerErased(deps, idempotency, memberIds);
    return decideBatch(deps, body, {
      batchId: await idempotentDecisionId(caller, `${key}\nbatch id`),
      memberId: (i, first) => (first ? holder : (memberIds[i] as string)),
      seal: (rows, answer) => sealRows(rows, idempotency, batchWithoutIds(answer, ids)),
      amended: (answer, erased) =>
        amendedBatch(idempotency, erased, () => batchWithoutIds(answer, ids)),
      refuseIfHolderErased: (rows, erased) => refuseIfHolderErased(idempotency, rows, erased),
    });
  };
  return answerKeyed(deps, inFlight, {
    idempotency,
    decide,
    fromStored: (text) => batchWithIds(text, ids),
  });
}
