// "CR" after (or before) an amount is read as a credit, a refund (number-format.ts): right where a
// ledger or a bank statement marks the odd refund among sales. Where it marks most of a column (a
// shop's own sales account writes its sales as credits) every sale was read as a return, and
// after a rupee amount ("₹2.25 Cr") it may be a crore (10,000,000): both with nothing said. Such
// a column stops the read until --credit-is says what "CR" marks.
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
import { CREDIT } from "./number-format.ts";
import { sqlString } from "./sql-text.ts";

/** A rupee's sign or code on the value: ₹, Rs, Rs., INR. */
const RUPEE = "(?i)₹|(^|[^a-z])(rs\\.?|inr)([^a-z]|$)";

/**
 * Throws when the amount or price column `read` marks more than half its values "CR", or marks
 * "CR" on a rupee amount, naming the column, how many, an example with its line, and what to pass
 * (--credit-is sale or return; a crore written as a plain number). One scan of the column; the
 * example's line only when it throws.
 */
export async function failOnCreditMarks(
  connection: DuckDBConnection,
  table: string,
  read: { column: string; columnName: string },
  describe: (rowid: number) => Promise<string>,
): Promise<void> {
  const { column, columnName } = read;
  const v = `trim(CAST(${column} AS VARCHAR))`;
  const credit = `regexp_matches(v, ${sqlString(CREDIT)})`;
  const rupee = `${credit} AND regexp_matches(v, ${sqlString(RUPEE)})`;
  const counts = await connection.runAndReadAll(
    `SELECT count(*) AS n, count(*) FILTER (WHERE ${credit}) AS credits,
       count(*) FILTER (WHERE ${rupee}) AS rupees
     FROM (SELECT ${v} AS v FROM ${table}) AS t WHERE v <> ''`,
  );
  const c = counts.getRowObjectsJS()[0] as { n: bigint; credits: bigint; rupees: bigint };
  const [n, credits, rupees] = [Number(c.n), Number(c.credits), Number(c.rupees)];
  if (rupees === 0 && credits * 2 <= n) return;
  const reader = await connection.runAndReadAll(
    `SELECT v, rn FROM (SELECT row_number() OVER () - 1 AS rn, ${v} AS v FROM ${table}) AS t
     WHERE ${rupees > 0 ? rupee : credit} ORDER BY rn LIMIT 1`,
  );
  const e = reader.getRowObjectsJS()[0] as { v: string; rn: bigint };
  const f = (x: number) => x.toLocaleString("en-US");
  const marked =
    `column "${columnName}" marks ${f(credits)} of ${f(n)} amounts as credits ("CR"), ` +
    `e.g. "${e.v}" (${await describe(Number(e.rn))})`;
  if (rupees > 0) {
    throw new InputError(
      columnName,
      `${marked}: after a rupee amount "Cr" is also a crore (10,000,000)`,
      {
        hint: "if it is a crore, write the amounts as plain numbers; if a credit (a refund), pass --credit-is return",
      },
    );
  }
  throw new InputError(
    columnName,
    `${marked}: read as refunds, most of the log would be returns; a shop's own sales account ` +
      "writes its sales as credits",
    {
      hint: 'if "CR" marks a sale here, pass --credit-is sale ("DR" is then a refund); if these are refunds, pass --credit-is return',
    },
  );
}
