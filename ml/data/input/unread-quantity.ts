// A line's amount read from one column while a quantity column beside it is read by no option
// (Online Retail's Price given as --amount-col, Quantity left out): every quantity is ignored, and
// returns written as a negative quantity at a positive price (its C… cancellations) are read as
// purchases. When the first rows hold such returns, the read says so and names the options to
// pass. Only a warning: the read stays as given.
import type { DuckDBConnection } from "@duckdb/node-api";
import { optionWithColumn, suggestedColumns } from "./column-suggestion.ts";
import { amountReadAlone, type LogInput } from "./log-input.ts";
import { SAMPLE_ROWS } from "./sample-values.ts";
import { columnNumber } from "./sql-text.ts";

export interface UnreadQuantity {
  /** The amount column read, and the quantity column beside it that no option names. */
  amount: string;
  quantity: string;
  /** Rows looked at, and those with a quantity below 0 at an amount above 0. */
  sampled: number;
  negative: number;
}

/** The quantity column left unread beside the amount, when its returns read as purchases. */
export async function unreadQuantity(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns" | "noAmount">,
): Promise<UnreadQuantity | null> {
  const amount = amountReadAlone(input);
  if (amount === null) return null;
  const used = new Set([input.columns.customerId, input.columns.date, amount]);
  const [q] = suggestedColumns("quantity", "\u0000", [...types.keys()]).filter((c) => !used.has(c));
  if (q === undefined) return null;
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS sampled, count(*) FILTER (WHERE ${columnNumber(q)} < 0 AND ${columnNumber(amount)} > 0) AS negative
     FROM (SELECT * FROM ${peek} LIMIT ${SAMPLE_ROWS})`,
  );
  const [row] = reader.getRowObjectsJS() as { sampled: bigint; negative: bigint }[];
  const negative = Number(row?.negative ?? 0);
  if (negative === 0) return null;
  return { amount, quantity: q, sampled: Number(row?.sampled ?? 0), negative };
}

/** The CLI's and report's warning. */
export function unreadQuantityWarning(u: UnreadQuantity): string {
  const count = (n: number) => n.toLocaleString("en-US");
  return (
    `WARNING: column "${u.quantity}" is read by no option while "${u.amount}" is read as each ` +
    `line's amount: every quantity is left out, and ${count(u.negative)} of the first ` +
    `${count(u.sampled)} lines have a negative quantity at a positive amount (returns, such as ` +
    `a cancelled invoice's lines), read as purchases; if "${u.amount}" is a unit price, pass ` +
    `${optionWithColumn("--quantity-col", u.quantity)} ${optionWithColumn("--price-col", u.amount)} ` +
    `(amount = quantity × price)`
  );
}
