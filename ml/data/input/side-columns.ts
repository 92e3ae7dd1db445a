// Columns the read's checks look at beside the ones it models (a status or event column, a
// currency, refunds, other money columns, an order number): a source loaded column by column
// (a PostgreSQL table or query, a --query over files, an xlsx workbook) loads these too. Without them, cancelled
// orders, an event log's views and mixed currencies went through unnamed where the same rows
// from a CSV stopped the read or warned.
import { suggestedColumns } from "./column-suggestion.ts";
import { isCurrencyColumn } from "./currency-mix.ts";
import type { LogColumns } from "./log-input.ts";
import { moneyCurrency, STRIPE_OBJECT_COLUMN } from "./minor-units.ts";
import { isPaymentNumberColumn } from "./order-totals.ts";
import { isRefundColumn } from "./refunded-amounts.ts";
import { isNotSalesColumn } from "./status-values.ts";

/** The columns of `available`, not among `columns`' own, that a check of the read looks at. */
export function sideColumns(available: readonly string[], columns: LogColumns): string[] {
  const names = [...available];
  const own = new Set(Object.values(columns).filter((c): c is string => typeof c === "string"));
  const wanted = new Set<string>([
    ...names.filter((c) => isNotSalesColumn(c) || isCurrencyColumn(c) || isRefundColumn(c)),
    // quantity-like-amount.ts compares the amounts with other money columns' …
    ...suggestedColumns("amount", "\u0000", names),
    // … the order-number hint names one …
    ...suggestedColumns("order", "order", names).slice(0, 1),
    // … unread-quantity.ts looks at a quantity column no option names …
    ...suggestedColumns("quantity", "\u0000", names).slice(0, 1),
    // … and minor-units.ts reads Stripe's kind of record and a Money object's currency.
    ...names.filter((c) => c === STRIPE_OBJECT_COLUMN || c === moneyCurrency(columns.amount)),
    // … and the repeated-total refusal names a column numbering an order's payments.
    ...names.filter(isPaymentNumberColumn).slice(0, 1),
  ]);
  return names.filter((c) => wanted.has(c) && !own.has(c));
}
