// A keyed batch's answer as its first row keeps it, without a single customer id: each id is
// replaced by its position in the request (a replay has the same body, so it gives the ids
// back), and an error message is kept as the pieces around the id (as sent or JSON-escaped, the
// way the forecast's messages quote it). Erasing a customer then
// leaves no trace of them in another customer's row. The replay is the answer byte for byte:
// values are replaced in place, so the JSON keeps its key order.
import type { BatchAnswer } from "./decide-batch.ts";

/** A message without the id: text, and where the id stood, 0 as sent or 1 as JSON escapes it. */
type MessagePieces = Array<string | 0 | 1>;
type StoredError = { id: number; error: { code: string; message: MessagePieces } };

/** The id as sent, and as it stands inside a JSON string (the forecast's messages quote it so). */
const idForms = (id: string): [string, string] => [id, JSON.stringify(id).slice(1, -1)];

/** `message` as pieces without `id` in either form (the longer first where both match). */
function withoutId(message: string, id: string): MessagePieces {
  const forms = idForms(id);
  const order = forms[1].length > forms[0].length ? ([1, 0] as const) : ([0, 1] as const);
  const pieces: MessagePieces = [];
  let rest = message;
  for (;;) {
    let at = -1;
    let form: 0 | 1 = 0;
    for (const f of order) {
      const i = rest.indexOf(forms[f]);
      if (i >= 0 && (at < 0 || i < at)) [at, form] = [i, f];
    }
    if (at < 0 || id === "") break;
    if (at > 0) pieces.push(rest.slice(0, at));
    pieces.push(form);
    rest = rest.slice(at + forms[form].length);
  }
  if (rest !== "" || pieces.length === 0) pieces.push(rest);
  return pieces;
}

const withId = (pieces: MessagePieces, id: string) =>
  pieces.map((p) => (typeof p === "string" ? p : idForms(id)[p])).join("");

/** Where each id first stands in the request (a repeated id gives the same text back). */
function positions(ids: readonly string[]): Map<string, number> {
  const at = new Map<string, number>();
  ids.forEach((id, i) => {
    if (!at.has(id)) at.set(id, i);
  });
  return at;
}

/** The answer's JSON with every customer id as its position in the request's customers. */
export function batchWithoutIds(answer: BatchAnswer, ids: readonly string[]): string {
  const at = positions(ids);
  const index = (id: string) => {
    const i = at.get(id);
    if (i === undefined)
      throw new Error(`internal error: ${JSON.stringify(id)} is not in the batch`);
    return i;
  };
  const stored = {
    ...answer,
    selected: answer.selected.map((s) => ({ ...s, id: index(s.id) })),
    errors: answer.errors.map((e) => ({
      id: index(e.id),
      error: { ...e.error, message: withoutId(e.error.message, e.id) },
    })),
    ...(answer.campaign
      ? {
          campaign: {
            ...answer.campaign,
            control: answer.campaign.control.map((c) => ({ ...c, id: index(c.id) })),
          },
        }
      : {}),
  };
  return JSON.stringify(stored);
}

/** The answer's JSON as sent, from the stored text and the request's customer ids. */
export function batchWithIds(text: string, ids: readonly string[]): string {
  const stored = JSON.parse(text) as Omit<BatchAnswer, "selected" | "errors"> & {
    selected: Array<{ id: number }>;
    errors: StoredError[];
    campaign?: { control: Array<{ id: number }> };
  };
  const id = (i: number) => ids[i] as string;
  for (const s of stored.selected) (s as { id: unknown }).id = id(s.id);
  for (const e of stored.errors) {
    const customer = id(e.id);
    (e as { id: unknown }).id = customer;
    (e.error as { message: unknown }).message = withId(e.error.message, customer);
  }
  for (const c of stored.campaign?.control ?? []) (c as { id: unknown }).id = id(c.id);
  return JSON.stringify(stored);
}
