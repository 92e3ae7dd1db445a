import { expect, test } from "bun:test";
import {
  columnHint,
  optionWithColumn,
  suggestedAmount,
  suggestedColumns,
} from "./column-suggestion.ts";

const taFeng = ["TRANSACTION_DT", "CUSTOMER_ID", "AGE_GROUP", "PIN_CODE", "AMOUNT", "SALES_PRICE"];

test("a column equal but for case and separators is the one suggested", () => {
  expect(suggestedColumns("customerId", "customer_id", taFeng)).toEqual(["CUSTOMER_ID"]);
  expect(suggestedColumns("customerId", "customer_id", ["Customer ID", "client"])).toEqual([
    "Customer ID",
  ]);
  expect(suggestedAmount("amount", taFeng)).toEqual(["--amount-col AMOUNT"]);
});

test("else columns named with the role's words, at most three, and none when nothing fits", () => {
  expect(suggestedColumns("date", "date", taFeng)).toEqual(["TRANSACTION_DT"]);
  expect(suggestedColumns("customerId", "customer_id", ["household_key", "DAY"])).toEqual([
    "household_key",
  ]);
  expect(suggestedColumns("date", "date", ["a", "b"])).toEqual([]);
  const many = ["order_date", "ship_date", "due_date", "pay_date"];
  expect(suggestedColumns("date", "date", many)).toEqual(many.slice(0, 3));
  expect(suggestedAmount("amount", ["Qty", "UnitPrice"])).toEqual([
    "--quantity-col Qty --price-col UnitPrice",
  ]);
  expect(suggestedAmount("amount", ["Qty", "id"])).toEqual([]);
});

test("a name the shell would split or expand is quoted", () => {
  expect(optionWithColumn("--date-col", "order date")).toBe("--date-col 'order date'");
  expect(optionWithColumn("--date-col", "it's $x")).toBe("--date-col 'it'\\''s $x'");
  expect(optionWithColumn("--date-col", "Date.Time-1")).toBe("--date-col Date.Time-1");
});

// Shopify's and Rails' exports name their times "Created at", "created_at", "createdAt": the
// date hint said `--date-col <column>` beside them.
test("date columns named like Rails' timestamps (…_at, … at, …At) are suggested", () => {
  const shopify = ["Name", "Email", "Created at", "Currency", "Total", "Financial Status"];
  expect(suggestedColumns("date", "date", shopify)).toEqual(["Created at"]);
  expect(suggestedColumns("date", "date", ["id", "created_at"])).toEqual(["created_at"]);
  expect(suggestedColumns("date", "date", ["id", "createdAt"])).toEqual(["createdAt"]);
  expect(suggestedColumns("date", "date", ["format", "flat", "Chat", "seat"])).toEqual([]);
});

// Olist's orders file holds no amount (the payments are in another file): the hint named only
// `--amount-col <column>`, and not the option that reads a log without amounts.
test("with no column like an amount, the hint names --amount-col none too", () => {
  const olist = ["order_id", "customer_id", "order_status", "order_purchase_timestamp"];
  expect(columnHint([["amount", "amount"]], olist)).toBe(
    "pass --amount-col <column> (or --amount-col none for a log without amounts) with names from those columns",
  );
});

// Month names are read in French, Spanish, Italian, Portuguese and Dutch (date-format.ts), but a
// French export's amount column (`Montant TTC`) got `--amount-col <column>`, as did Spanish,
// Portuguese, Italian and Dutch names of amounts, prices, quantities and dates.
test("columns named in French, Spanish, Italian, Portuguese and Dutch are suggested", () => {
  const french = ["Clé client", "Date achat", "Quantité", "Prix unitaire", "Montant TTC"];
  expect(suggestedColumns("amount", "amount", french)).toEqual(["Montant TTC"]);
  expect(suggestedColumns("price", "price", french)).toEqual(["Prix unitaire"]);
  expect(suggestedColumns("quantity", "quantity", french)).toEqual(["Quantité"]);
  const spanish = ["id_cliente", "fecha", "cantidad", "precio", "importe"];
  expect(suggestedColumns("date", "date", spanish)).toEqual(["fecha"]);
  expect(suggestedColumns("amount", "amount", spanish)).toEqual(["importe"]);
  expect(suggestedColumns("quantity", "quantity", spanish)).toEqual(["cantidad"]);
  expect(suggestedColumns("price", "price", spanish)).toEqual(["precio"]);
  expect(suggestedColumns("amount", "amount", ["cliente", "data", "valor_total"])).toEqual([
    "valor_total",
  ]);
  expect(suggestedColumns("amount", "amount", ["klant", "bedrag"])).toEqual(["bedrag"]);
  expect(suggestedColumns("price", "price", ["prezzo", "prijs", "preço"])).toEqual([
    "prezzo",
    "prijs",
    "preço",
  ]);
  expect(suggestedColumns("quantity", "quantity", ["quantità", "aantal", "quantidade"])).toEqual([
    "quantità",
    "aantal",
    "quantidade",
  ]);
  expect(suggestedColumns("customerId", "customer_id", ["klant_nr", "datum"])).toEqual([
    "klant_nr",
  ]);
});

// Online Retail II names its order "Invoice" and its date "InvoiceDate": the hint for a missing
// `--order-col InvoiceNo` (the README's Online Retail I example) said `--order-col Invoice or
// --order-col InvoiceDate`, and an export listing `order_date` before `order_id` had the date
// taken as its order number by the checks that look for one (read-transaction-log.ts).
test("a column named like a date is never suggested for another role", () => {
  const retail2 = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price"];
  expect(columnHint([["order", "InvoiceNo"]], [...retail2, "Customer ID", "Country"])).toBe(
    "pass --order-col Invoice (guessed from the names: check them against your data)",
  );
  expect(suggestedColumns("order", "order", ["order_date", "order_id", "total"])).toEqual([
    "order_id",
  ]);
  expect(suggestedColumns("order", "order", ["TRANSACTION_DT", "CUSTOMER_ID"])).toEqual([]);
  const shopify = ["Name", "Email", "Paid at", "Subtotal", "Total", "Created at"];
  expect(suggestedColumns("amount", "amount", shopify)).toEqual(["Subtotal", "Total"]);
  expect(suggestedColumns("customerId", "customer", ["customer_created_at", "cust_no"])).toEqual([
    "cust_no",
  ]);
  // The date role itself still finds them.
  expect(suggestedColumns("date", "date", retail2)).toEqual(["InvoiceDate"]);
});
