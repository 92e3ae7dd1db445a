// A quantity, a unit price and the line's total (their product) side by side: read with the total
// as --price-col, every total counts its quantity twice; read with the unit price as --amount-col,
// every quantity is left out. The first rows tell which column is the product of which; when the
// columns read contradict that, the read says so and names the options. Only a warning: the
// relation could be chance on a small file, and the read stays as given.
import type { DuckDBConnection } from "@duckdb/node-api";
import { optionWithColumn, suggestedColumns } from "./column-suggestion.ts";
import type { LogInput } from "./log-input.ts";
import { columnNumber } from "./sql-text.ts";

export interface LineTotals {
  /** How the read took the columns: the total as the unit price, or the unit price as the amount. */
  read_as: "price" | "amount";
  quantity: string;
  price: string;
  total: string;
  /** Sampled lines with a quantity other than 0 or 1, and of those where total = quantity × price. */
  lines: number;
  matching: number;
}

/** Lines with a quantity other than 0 and 1 needed, and the share where the product holds. */
const MIN_LINES = 10;
const MIN_SHARE = 0.95;
/** Columns looked at as the third of the relation (a wide export's first ones). */
const MAX_OTHER_COLUMNS = 30;
/** Rows looked at: the relation shows in the first ones (as quantity-like-amount.ts's counts). */
const ROWS_LOOKED_AT = 10_000;

/** Lines with a quantity other than 0 or 1, and those where total = quantity × price (to the cent). */
function productSql(quantity: string, price: string, total: string, i: number): string {
  const [q, p, t] = [columnNumber(quantity), columnNumber(price), columnNumber(total)];
  const eligible = `${q} IS NOT NULL AND ${q} NOT IN (0, 1) AND ${p} IS NOT NULL AND ${t} IS NOT NULL`;
  return `count(*) FILTER (WHERE ${eligible}) AS n${i},
    count(*) FILTER (WHERE ${eligible} AND abs(${t} - ${q} * ${p}) <= 0.011 + 1e-9 * abs(${t})) AS m${i}`;
}

/** The read's contradiction of a quantity × price = total relation in the file; else null. */
export async function lineTotals(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns" | "noAmount">,
): Promise<LineTotals | null> {
  const { customerId, date, amount, quantity, price } = input.columns;
  const used = new Set([customerId, date, amount, quantity, price]);
  const others = [...types.keys()].filter((c) => !used.has(c)).slice(0, MAX_OTHER_COLUMNS);
  // [quantity, price, total] triples to test, each with how the read took it.
  const triples: [string, string, string, LineTotals["read_as"]][] = [];
  if (quantity !== undefined && price !== undefined) {
    for (const unit of others) triples.push([quantity, unit, price, "price"]);
  } else if (amount !== undefined && !input.noAmount && quantity === undefined) {
    // The quantity named so (at most 3 columns), the total any other column.
    for (const q of suggestedColumns("quantity", "\u0000", others)) {
      for (const t of others) if (t !== q) triples.push([q, amount, t, "amount"]);
    }
  }
  if (triples.length === 0) return null;
  const reader = await connection.runAndReadAll(
    `SELECT ${triples.map(([q, p, t], i) => productSql(q, p, t, i)).join(",\n")}
     FROM (SELECT * FROM ${peek} LIMIT ${ROWS_LOOKED_AT})`,
  );
  const [row] = reader.getRowObjectsJS() as Record<string, bigint>[];
  for (const [i, [q, p, t, readAs]] of triples.entries()) {
    const lines = Number(row?.[`n${i}`] ?? 0);
    const matching = Number(row?.[`m${i}`] ?? 0);
    if (lines >= MIN_LINES && matching >= MIN_SHARE * lines) {
      return { read_as: readAs, quantity: q, price: p, total: t, lines, matching };
    }
  }
  return null;
}

/** The CLI's and report's warning. */
export function lineTotalsWarning(l: LineTotals): string {
  const relation =
    `column "${l.total}" is "${l.quantity}" × "${l.price}" on ${l.matching.toLocaleString("en-US")} ` +
    `of ${l.lines.toLocaleString("en-US")} lines with a quantity other than 1`;
  const total = optionWithColumn("--amount-col", l.total);
  return l.read_as === "price"
    ? `WARNING: ${relation}: it is the line's money, not a unit price, and read as --price-col ` +
        `it is multiplied by the quantity again; pass ${total}, or ${optionWithColumn("--price-col", l.price)}`
    : `WARNING: ${relation}: "${l.price}" is a unit price, and read as the amount it leaves out ` +
        `each line's quantity; pass ${total}, or ${optionWithColumn("--quantity-col", l.quantity)} ` +
        `${optionWithColumn("--price-col", l.price)}`;
}
