// Payment and order exports write a refund beside the charge it refunds (Stripe's Amount Refunded,
// Magento's Total Refunded, Square's Partial Refunds) rather than as a line of its own: read by the
// charge's amount, a refunded order is a purchase at its full price, silently. When a column named
// so holds refunds in the first rows, the read names it and what to pass.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LogInput } from "./log-input.ts";
import { SAMPLE_ROWS } from "./sample-values.ts";
import { columnText, sqlString } from "./sql-text.ts";

const REFUND_COLUMN = /refund/i;
/** A column named as holding refunds beside the charges. */
export const isRefundColumn = (name: string) => REFUND_COLUMN.test(name);
/** An amount as exports write one (`5.00`, `$5.00`, `(5,00 €)`): no date, time or flag. */
const AMOUNT_TEXT = "^[(+−-]?[^0-9:/-]{0,4}[0-9][0-9.,' \\x{a0}]*[^0-9:/-]{0,4}\\)?$";

export interface RefundedAmounts {
  column: string;
  /** The column the amounts are read from, as named (`Quantity × Price` for two). */
  amount: string;
  sampled_rows: number;
  /** Sampled rows with a refund that is not zero. */
  refunded_rows: number;
}

/** The first column named like a refund whose first rows hold amounts, some not zero; else null. */
export async function refundedAmounts(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns">,
): Promise<RefundedAmounts | null> {
  const { amount, quantity, price, keepBy, dropBy } = input.columns;
  const read = new Set([amount, quantity, price, keepBy, dropBy]);
  for (const column of types.keys()) {
    if (!isRefundColumn(column) || read.has(column)) continue;
    const v = columnText(column);
    const reader = await connection.runAndReadAll(
      `SELECT count(v) AS sampled, count(v) FILTER (WHERE regexp_matches(v, '[1-9]')) AS refunded,
         coalesce(bool_and(regexp_matches(v, ${sqlString(AMOUNT_TEXT)})), false) AS amounts
       FROM (SELECT ${v} AS v FROM ${peek} LIMIT ${SAMPLE_ROWS}) AS s`,
    );
    const row = reader.getRowObjectsJS()[0] as {
      sampled: bigint;
      refunded: bigint;
      amounts: boolean;
    };
    if (!row.amounts || Number(row.refunded) === 0) continue;
    return {
      column,
      amount: amount ?? `${quantity} × ${price}`,
      sampled_rows: Number(row.sampled),
      refunded_rows: Number(row.refunded),
    };
  }
  return null;
}

/** The CLI's and report's warning. */
export function refundedAmountsWarning(r: RefundedAmounts): string {
  const n = (v: number) => v.toLocaleString("en-US");
  return (
    `WARNING: column "${r.column}" holds a refund on ${n(r.refunded_rows)} of the first ` +
    `${n(r.sampled_rows)} rows, and "${r.amount}" is read as charged, before its refund: a refunded ` +
    "order counts as a purchase at its full price; pass --drop-rows with the status of orders " +
    "refunded in full (e.g. --drop-rows Status=Refunded), and subtract partial refunds in the " +
    "export (no option subtracts a refund column)"
  );
}
