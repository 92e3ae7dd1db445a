// `Idempotency-Key` on POST /decision: a client that retries after a timeout, a dropped
// connection or a restart of the service gets the decision already made, not a second one. The
// key (per API key) fixes the decision's id, so two attempts can only ever write one row; the
// row keeps the answer given and a hash of the request, so a retry is answered from the log
// (`Idempotent-Replayed: true`) and a key reused for another request is refused (422).
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import type { DecisionLogRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { z } from "zod";
import type { DecisionDeps } from "../deps.ts";
import type { DecisionRequest } from "../routes/decision-schemas.ts";
import { type DecisionAnswer, decideOne, type Idempotency } from "./decide-one.ts";

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
export function requestHash(body: DecisionRequest): Promise<string> {
  return sha256Hex(utf8(JSON.stringify(body)));
}

/** A keyed decision's stored answer (the JSON sent) and request hash, or null without one. */
function storedAnswer(row: DecisionLogRow | null): { json: string; hash: unknown } | null {
  const json = (row?.scores as { answer_json?: unknown } | undefined)?.answer_json;
  if (!row || typeof json !== "string") return null;
  return { json, hash: (row.inputs as { request_sha256?: unknown }).request_sha256 };
}

/** The key's row, read from the log; a log that cannot be read is a 503 (retry), never a guess. */
async function keyedRow(deps: DecisionDeps, decisionId: string): Promise<DecisionLogRow | null> {
  try {
    return await new DecisionLogRepository(await deps.database()).get(decisionId);
  } catch (cause) {
    throw new AppError(
      "unavailable",
      `Decision log unavailable: cannot check the ${IDEMPOTENCY_HEADER}; retry shortly`,
      { headers: { "Retry-After": "1" }, cause },
    );
  }
}

/** The answer already given for this key (as sent), null when none was; 422 for another request. */
async function replayOf(deps: DecisionDeps, idempotency: Idempotency): Promise<string | null> {
  const stored = storedAnswer(await keyedRow(deps, idempotency.decisionId));
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
export interface KeyedAnswer {
  json: string;
  decisionId: string;
  /** The decision made now (null when the answer is an earlier one's). */
  decided: DecisionAnswer | null;
  replayed: boolean;
}

/**
 * Keyed decisions in flight in this process, by id and request hash: a second request with the
 * same key and body waits for the first and gets its answer instead of deciding beside it.
 */
export class DecisionsInFlight {
  private readonly running = new Map<string, Promise<KeyedAnswer>>();

  run(slot: string, decide: () => Promise<KeyedAnswer>): Promise<KeyedAnswer> {
    const running = this.running.get(slot);
    if (running) return running.then((a) => ({ ...a, decided: null, replayed: true }));
    const answer = decide().finally(() => this.running.delete(slot));
    this.running.set(slot, answer);
    return answer;
  }
}

/**
 * POST /decision under an Idempotency-Key: the stored answer when the key was answered before;
 * else a decision under the key's id, answered as the log keeps it (another process deciding
 * under the same key at the same moment wrote the one row: both answer with it).
 */
export async function decideIdempotently(
  deps: DecisionDeps,
  inFlight: DecisionsInFlight,
  request: { caller: string; key: string; body: DecisionRequest },
): Promise<KeyedAnswer> {
  const decisionId = await idempotentDecisionId(request.caller, request.key);
  const idempotency = { decisionId, requestSha256: await requestHash(request.body) };
  const earlier = await replayOf(deps, idempotency);
  if (earlier !== null) return { json: earlier, decisionId, decided: null, replayed: true };
  return inFlight.run(`${decisionId} ${idempotency.requestSha256}`, async () => {
    const decided = await decideOne(deps, request.body, idempotency);
    const json = JSON.stringify(decided);
    // Null: the row was not written (an erasure marker held it back): answer as decided.
    const kept = (await replayOf(deps, idempotency)) ?? json;
    return {
      json: kept,
      decisionId,
      decided: kept === json ? decided : null,
      replayed: kept !== json,
    };
  });
}
