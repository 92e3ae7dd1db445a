// The decision log insert's one jsonb parameter (decision-log.ts): each row an object under
// one-letter keys, null columns left out, read back under the table's column names by sentRecords.

/**
 * Each column a sent row carries (the table's, and its erasure cutoff): its key in the payload
 * and its SQL type. Short keys, nulls left out: the column names and nulls were a third of the
 * bytes, and passing and parsing the parameter cost about as much as the insert's rows (on PGlite
 * a batch of 1,000 sent 735 kB, now 525 kB). A key left out reads as null, as a null did.
 */
const SENT_COLUMNS = {
  decision_id: ["a", "uuid"],
  decided_at: ["b", "timestamptz"],
  customer_id: ["c", "text"],
  inputs: ["d", "jsonb"],
  chosen_action: ["e", "text"],
  scores: ["f", "jsonb"],
  policy_name: ["g", "text"],
  policy_version: ["h", "integer"],
  model_name: ["i", "text"],
  model_version: ["j", "integer"],
  campaign_id: ["k", "text"],
  assignment_group: ["l", "text"],
  would_have_action: ["m", "text"],
  explored: ["n", "boolean"],
  propensity: ["o", "double precision"],
  erasure_cutoff: ["p", "timestamptz"],
} as const;

export type SentColumn = keyof typeof SENT_COLUMNS;

// Object.entries loses the key type; these are exactly SENT_COLUMNS' keys.
const ALL_COLUMNS = (Object.keys(SENT_COLUMNS) as SentColumn[]).map((name) => {
  const [key, type] = SENT_COLUMNS[name];
  return { name, key, type };
});

/** One row as sent, by column name (decisionLogRecord's, with its erasure cutoff). */
export type SentRecord = { readonly [column in SentColumn]: unknown };

/** The payload of these rows: the JSON text of `$1`. */
export function sentPayload(records: readonly SentRecord[]): string {
  return JSON.stringify(records.map(compactRecord));
}

function compactRecord(record: SentRecord): Record<string, unknown> {
  const compact: Record<string, unknown> = {};
  for (const { name, key } of ALL_COLUMNS) {
    const value = record[name];
    if (value !== null && value !== undefined) compact[key] = value;
  }
  return compact;
}

/** SQL: the rows of `$1` as `r`, with these columns under their names (all by default). */
export function sentRecords(columns?: readonly SentColumn[]): string {
  const picked = columns ? ALL_COLUMNS.filter((c) => columns.includes(c.name)) : ALL_COLUMNS;
  return `(select ${picked.map((c) => `p.${c.key} as ${c.name}`).join(", ")}
      from jsonb_to_recordset($1::jsonb) as p(${picked.map((c) => `${c.key} ${c.type}`).join(", ")})
    ) as r`;
}
