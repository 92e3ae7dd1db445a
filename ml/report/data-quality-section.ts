// The report's first section: what reading the log did to it (rows read and kept, skipped rows by
// reason with example lines, returns, $0 lines, customers and dates), as report tables.

import { currencyMixWarning } from "../data/input/currency-mix.ts";
import { groupedIdsLine, unseenIdCharactersLine } from "../data/input/customer-id-format.ts";
import {
  caseVariantWarning,
  type DataQuality,
  examplesText,
  quotedVariantWarning,
  zeroPaddedWarning,
} from "../data/input/data-quality.ts";
import { dominantCustomerWarning } from "../data/input/dominant-customer.ts";
import { emptySpanWarning } from "../data/input/empty-span.ts";
import { extremeAmountsWarning } from "../data/input/extreme-amounts.ts";
import { lineTotalsWarning } from "../data/input/line-totals.ts";
import { quantityLikeAmountWarning } from "../data/input/quantity-like-amount.ts";
import { refundedAmountsWarning } from "../data/input/refunded-amounts.ts";
import { notSalesWarning } from "../data/input/status-values.ts";
import { unreadQuantityWarning } from "../data/input/unread-quantity.ts";
import type { ReportTable } from "./report-html.ts";

export function dataQualityTables(q: DataQuality): ReportTable[] {
  const overview: ReportTable = {
    title: "Data: rows read and kept",
    columns: ["measure", "value"],
    rows: [
      ["rows read", q.rows_read],
      ["rows kept (purchases and returns)", q.rows_kept],
      ["rows skipped", q.rows_read - q.rows_kept],
      ["return / cancellation rows (never purchases)", q.returns.rows],
      [
        `returned value (${q.returns.mode === "net" ? "subtracted from spend" : "ignored: --returns drop"})`,
        Number(q.returns.amount.toFixed(2)),
      ],
      ["returns netted against their original order", q.returns.matched_orders],
      ["returns of customers without any purchase", q.returns.unmatched],
      ["$0 purchase rows (kept as purchases)", q.zero_amount_rows],
      ["customers with a purchase", q.customers_in_log],
      ["purchase days (same-day lines merged)", q.purchase_days],
      ["first date", q.first_date],
      ["last date", q.last_date],
      ["date format", q.date_format ?? "typed column / fixed layout"],
      ...(q.query !== undefined
        ? [["query (row numbers are its rows)", q.query] as [string, string]]
        : []),
      ...(q.files
        ? [
            [
              q.query !== undefined ? "files the query read" : "files read as one",
              q.files.join(", "),
            ] as [string, string],
          ]
        : []),
      ...(q.float_written_ids
        ? [["customer ids written like (a float export)", q.float_written_ids] as [string, string]]
        : []),
      ...(q.mixed_float_ids
        ? [
            ["ids written both ways (17850 and 17850.0), read as one", q.mixed_float_ids] as [
              string,
              number,
            ],
          ]
        : []),
      ...Object.entries(q.number_formats ?? {}).map(([column, example]): [string, string] => [
        `numbers in "${column}" written like`,
        example,
      ]),
      ...warningRows(q),
    ],
  };
  const reasons = Object.entries(q.skipped);
  if (reasons.length === 0) return [overview];
  return [
    overview,
    {
      title: "Data: skipped rows by reason",
      columns: ["reason", "rows", "examples"],
      rows: reasons.map(([reason, count]) => [reason, count, examplesText(q, reason)]),
    },
  ];
}

/** The read's warnings and notes about ids, currencies, statuses and a customer who stands out. */
function warningRows(q: DataQuality): [string, string][] {
  const rows: [string, string][] = [];
  if (q.case_variant_ids) {
    rows.push(["ids that differ only in case", caseVariantWarning(q.case_variant_ids)]);
  }
  if (q.zero_padded_ids) {
    rows.push(["ids that differ only in leading zeros", zeroPaddedWarning(q.zero_padded_ids)]);
  }
  if (q.quoted_variant_ids) {
    rows.push(["ids that differ only in quotes", quotedVariantWarning(q.quoted_variant_ids)]);
  }
  if (q.unseen_id_characters) {
    rows.push(["ids with characters no one sees", unseenIdCharactersLine(q.unseen_id_characters)]);
  }
  if (q.grouped_ids) rows.push(["ids with thousands separators", groupedIdsLine(q.grouped_ids)]);
  if (q.ids_lower_cased) rows.push(["customer ids", "read lower-cased (--ignore-id-case)"]);
  if (q.currencies) rows.push(["several currencies", currencyMixWarning(q.currencies)]);
  for (const s of q.not_sales ?? []) rows.push([`no sales in "${s.column}"?`, notSalesWarning(s)]);
  if (q.refunded_amounts) {
    rows.push(["refunds beside the amounts", refundedAmountsWarning(q.refunded_amounts)]);
  }
  if (q.quantity_like_amount) {
    rows.push(["amounts like item counts", quantityLikeAmountWarning(q.quantity_like_amount)]);
  }
  if (q.line_totals)
    rows.push(["a line's total and its unit price", lineTotalsWarning(q.line_totals)]);
  if (q.unread_quantity) {
    rows.push(["a quantity column left unread", unreadQuantityWarning(q.unread_quantity)]);
  }
  if (q.dominant_customer) {
    rows.push(["one customer stands out", dominantCustomerWarning(q.dominant_customer)]);
  }
  if (q.empty_span) rows.push(["days without a purchase", emptySpanWarning(q.empty_span)]);
  if (q.extreme_amounts) {
    rows.push(["extreme amounts", extremeAmountsWarning(q.extreme_amounts)]);
  }
  return rows;
}
