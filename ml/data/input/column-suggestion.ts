// Which column of a log the user probably meant when the one named (often a default such as
// "customer_id") is not there, and the options to pass: only ever a hint in the error, never used
// in its place, because a near name can be another thing (Ta Feng's AMOUNT is a quantity, its
// SALES_PRICE the line total).

import type { LogColumns } from "./log-input.ts";

/** The CLI option that names each role's column. */
export const ROLE_OPTION: Record<keyof LogColumns, string> = {
  customerId: "--customer-col",
  date: "--date-col",
  amount: "--amount-col",
  quantity: "--quantity-col",
  price: "--price-col",
  order: "--order-col",
  keepBy: "--keep-rows",
  dropBy: "--drop-rows",
  returnBy: "--return-rows",
  payment: "--payment-col",
};

/** A name without case, spaces, underscores, hyphens or dots: "Customer ID" → "customerid". */
const folded = (name: string) => name.toLowerCase().replace(/[\s_\-.]+/g, "");

// Words a role's column is usually named with, in exports seen in practice.
const ROLE_WORDS: Partial<Record<keyof LogColumns, RegExp>> = {
  customerId: /cust|client|user|member|household|visitor|buyer|shopper|account|email|kunde|klant/i,
  // Rails' and Shopify's "created_at", "Created at"; camelCase "createdAt" is ROLE_CASED_WORDS'.
  date: /date|time|^dt$|_dt$|dt_|day|stamp|datum|fecha|[\s_.-]at$/i,
  // German, French, Spanish, Italian, Portuguese and Dutch too, as month names are read.
  amount:
    /amount|total|revenue|sales|spend|paid|value|betrag|umsatz|montant|importe|importo|monto|valor|bedrag/i,
  quantity: /qty|quanti|units|count|menge|anzahl|cantidad|aantal/i,
  price: /price|unit|preis|prix|precio|preço|prezzo|prijs/i,
  order: /order|invoice|basket|receipt|transaction|ticket|bestell|rechnung|commande|pedido|ordine/i,
};

// Words that need their case to be told from others: "createdAt", not "format".
const ROLE_CASED_WORDS: Partial<Record<keyof LogColumns, RegExp>> = {
  date: /[a-z]At$/,
};

// Names that hold a role's word but are something else: a date's parts and durations
// (Instacart's order_hour_of_day and days_since_prior_order are no purchase dates).
const NOT_ROLE_WORDS: Partial<Record<keyof LogColumns, RegExp>> = {
  date: /since|hour|minute|weekday|dow|day_?of|of_?day|duration|elapsed|days_/i,
};

/**
 * Columns of `available` that `name` may have meant for `role`: the one equal to it but for case
 * and separators, else up to three whose names hold a word such columns are named with.
 */
export function suggestedColumns(
  role: keyof LogColumns,
  name: string,
  available: string[],
): string[] {
  const same = available.filter((c) => folded(c) === folded(name));
  if (same.length > 0) return same;
  // A date is no other role's column, whatever word it holds besides: Online Retail II's
  // "InvoiceDate" is not its order id, Shopify's "Paid at" not an amount.
  const otherRole = (c: string) => role !== "date" && namedLike("date", c);
  return available.filter((c) => namedLike(role, c) && !otherRole(c)).slice(0, 3);
}

/** Whether a column's name holds a word `role`'s columns are named with, and none that rules it out. */
function namedLike(role: keyof LogColumns, column: string): boolean {
  const words = [ROLE_WORDS[role], ROLE_CASED_WORDS[role]];
  return words.some((w) => w?.test(column)) && NOT_ROLE_WORDS[role]?.test(column) !== true;
}

/**
 * What to pass for a missing amount column: a column named like an amount, else a quantity and a
 * unit price column (Online Retail's Quantity and Price) as `--quantity-col … --price-col …`.
 */
export function suggestedAmount(name: string, available: string[]): string[] {
  const amount = suggestedColumns("amount", name, available);
  if (amount.length > 0) return amount.map((c) => optionWithColumn(ROLE_OPTION.amount, c));
  const [quantity] = suggestedColumns("quantity", "quantity", available);
  const [price] = suggestedColumns("price", "price", available);
  if (!quantity || !price || quantity === price) return [];
  return [
    `${optionWithColumn(ROLE_OPTION.quantity, quantity)} ${optionWithColumn(ROLE_OPTION.price, price)}`,
  ];
}

/** The CLI option for a column, quoted when the shell would split or expand it. */
export function optionWithColumn(option: string, column: string): string {
  return /^[\w.-]+$/.test(column)
    ? `${option} ${column}`
    : `${option} '${column.replace(/'/g, "'\\''")}'`;
}

/** What to pass for the missing roles: the likely column of each, when one looks likely. */
export function columnHint(
  missing: Array<[keyof LogColumns, string]>,
  available: string[],
): string {
  let guessed = false;
  const parts = missing.map(([role, name]) => {
    const option = ROLE_OPTION[role];
    const likely =
      role === "amount"
        ? suggestedAmount(name, available)
        : suggestedColumns(role, name, available).map((c) => optionWithColumn(option, c));
    guessed ||= likely.length > 0;
    const placeholder = ["keepBy", "dropBy", "returnBy"].includes(role)
      ? "<column>=<values>"
      : "<column>";
    if (likely.length > 0) return likely.join(" or ");
    // An orders file whose amounts are in another file (Olist's payments) reads without them.
    const none = role === "amount" ? ` (or ${option} none for a log without amounts)` : "";
    return `${option} ${placeholder}${none}`;
  });
  return guessed
    ? `pass ${parts.join(", ")} (guessed from the names: check them against your data)`
    : `pass ${parts.join(", ")} with names from those columns`;
}
