// An order's total written on every line of the order (WooCommerce's Order Total Amount; an
// Olist items ⋈ payments join): added once per line, spend was 3.41× the truth with --order-col
// given and nothing said. Now refused, or read once per order with --amount-per order.
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import {
  addTransactionLogOptions,
  transactionLogFromCli,
} from "../../pipelines/log-cli-options.ts";
import {
  failure,
  tempLogFile as file,
  purchaseDays,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { InputError } from "./input-error.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

const WOO_HEADER = "Order ID,Order Date,Customer User ID,Item Name,Quantity,Item Cost,Order Total";
/** [order, date, customer, items as [quantity, cost]]; the total is written on every item line. */
const ORDERS: Array<[string, string, string, Array<[number, number]>]> = [
  [
    "100",
    "2023-01-01 10:12",
    "c1",
    [
      [2, 10],
      [1, 4.5],
      [3, 1],
    ],
  ],
  ["101", "2023-01-02 11:00", "c2", [[1, 7]]],
  [
    "102",
    "2023-01-03 12:00",
    "c1",
    [
      [1, 20],
      [1, 5],
    ],
  ],
  [
    "103",
    "2023-01-04 09:30",
    "c3",
    [
      [4, 2.5],
      [1, 12],
      [2, 3],
    ],
  ],
  [
    "104",
    "2023-01-05 15:00",
    "c2",
    [
      [1, 9],
      [2, 6],
    ],
  ],
  [
    "105",
    "2023-01-06 16:00",
    "c4",
    [
      [1, 30],
      [1, 1.25],
    ],
  ],
  [
    "106",
    "2023-01-07 17:00",
    "c3",
    [
      [2, 8],
      [1, 2],
    ],
  ],
  ["107", "2023-01-08 18:00", "c4", [[1, 3]]],
];
const total = (items: Array<[number, number]>) => items.reduce((s, [q, p]) => s + q * p, 0);
const WOO = [
  WOO_HEADER,
  ...ORDERS.flatMap(([order, date, customer, items]) =>
    items.map(([q, p], i) => `${order},${date},${customer},item ${i},${q},${p},${total(items)}`),
  ),
].join("\n");
/** The truth: one line per order holding its total. */
const ONCE = [
  "Order ID,Order Date,Customer User ID,Order Total",
  ...ORDERS.map(([order, date, customer, items]) => `${order},${date},${customer},${total(items)}`),
].join("\n");
const COLUMNS = {
  customerId: "Customer User ID",
  date: "Order Date",
  amount: "Order Total",
  order: "Order ID",
};

test("an order total on every line of its order is refused, naming the column, an order and its lines", async () => {
  const error = await failure(read(file(WOO), { columns: COLUMNS }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toStartWith(
    'column "Order Total" carries the same amount on every line of most orders: 6 of 6 orders with ' +
      'several lines (100%), e.g. order "100" of customer "c1": 27.5 on line 2, line 3, line 4; ' +
      "added line by line, such an order's total (an order export's, or a payment repeated by a " +
      "join with its items) counts once per line",
  );
  expect((error as InputError).hint).toContain(
    "if it is the order's total, pass --amount-per order to read it once per order; or pass --quantity-col and --price-col naming each line's quantity and unit price (amount = quantity × price); if each line's amount is its own, pass --amount-per line",
  );
  // Before, it was read line by line: c1's 27.5 three times and 25 twice.
  const byLine = await read(file(WOO), { columns: COLUMNS, amountPer: "line" });
  expect(purchaseDays(byLine.log)).toContain("c1 2023-01-01 82.5");
});

test("--amount-per order reads each order's total once: the truth exactly, quantities kept", async () => {
  const truth = await read(file(ONCE), { columns: COLUMNS });
  const once = await read(file(WOO), { columns: COLUMNS, amountPer: "order" });
  expect(purchaseDays(once.log)).toEqual(purchaseDays(truth.log));
  expect(once.quality.order_amounts_read_once).toBe(8); // 16 lines in 8 orders
  expect(once.quality.zero_amount_rows).toBe(0);
  expect(dataQualityLines(once.quality)).toContain(
    "  order lines whose amount repeats their order's (--amount-per order): 8 (read once per order)",
  );
  // Priced line by line, the same file reads the same spend.
  const priced = await read(file(WOO), {
    columns: { ...COLUMNS, amount: undefined, quantity: "Quantity", price: "Item Cost" },
  } as never);
  expect(purchaseDays(priced.log)).toEqual(purchaseDays(truth.log));
  // An items ⋈ payments join: an order paid by voucher and card repeats both payments per item.
  const joined = [
    "order_id,customer,date,item,payment_value",
    "a,c1,2023-01-01,1,20",
    "a,c1,2023-01-01,1,13.5",
    "a,c1,2023-01-01,2,20",
    "a,c1,2023-01-01,2,13.5",
    "b,c2,2023-01-02,1,8",
  ].join("\n");
  const paid = await read(file(joined), {
    columns: { customerId: "customer", date: "date", amount: "payment_value", order: "order_id" },
    amountPer: "order",
  });
  expect(purchaseDays(paid.log)).toEqual(["c1 2023-01-01 33.5", "c2 2023-01-02 8"]);
  // It needs the order column.
  const alone = await failure(
    read(file(WOO), { columns: { ...COLUMNS, order: undefined }, amountPer: "order" } as never),
  );
  expect(alone?.message).toContain("--amount-per order needs --order-col");
});

test("line amounts that are often equal by chance (one price for everything) are read as lines", async () => {
  const lines = ["order,customer_id,date,amount"];
  for (let o = 0; o < 40; o++) {
    lines.push(`o${o},c${o % 7},2023-02-${String(1 + (o % 28)).padStart(2, "0")},5`);
    lines.push(`o${o},c${o % 7},2023-02-${String(1 + (o % 28)).padStart(2, "0")},${o % 5 ? 5 : 7}`);
  }
  const { quality } = await read(file(lines.join("\n")), {
    columns: { customerId: "customer_id", date: "date", amount: "amount", order: "order" },
  });
  expect(quality.rows_kept).toBe(80);
});

test("--amount-per order reaches the reader from the command line", () => {
  const program = addTransactionLogOptions(new Command(), "log");
  program.parse(["--data", "x.csv", "--order-col", "id", "--amount-per", "order"], {
    from: "user",
  });
  expect(transactionLogFromCli(program.opts()).log?.amountPer).toBe("order");
});

test("without --order-col, a column named like an order's whose orders repeat one amount is warned about", async () => {
  const columns = { customerId: "Customer User ID", date: "Order Date", amount: "Order Total" };
  const { quality } = await read(file(WOO), { columns });
  expect(dataQualityLines(quality)).toContain(
    '  WARNING: column "Order Total" carries the same amount on every line of most orders of ' +
      'column "Order ID" in the first 16 rows: 6 of 6 orders with several lines (100%), e.g. ' +
      'order "100" of customer "c1": 3 lines each carry 27.5; if it is the order\'s total it is ' +
      "added once per line: pass --order-col 'Order ID' --amount-per order to read it once per order",
  );
  // One line per order, or --amount-per line: nothing to say.
  expect((await read(file(ONCE), { columns })).quality.repeated_order_totals).toBeUndefined();
  const lines = await read(file(WOO), { columns, amountPer: "line" });
  expect(lines.quality.repeated_order_totals).toBeUndefined();
});

// The same export with its date listed before its order id: "Order Date" was taken for the
// order column (named like an order's), the check skipped it as the date and said nothing, so
// each order's total was added once per line (spend 3× the truth here) without a word.
test("without --order-col, a date column named like an order's is not taken for the order id", async () => {
  const swapped = WOO.split("\n")
    .map((line) => {
      const [order, date, ...rest] = line.split(",");
      return [date, order, ...rest].join(",");
    })
    .join("\n");
  const columns = { customerId: "Customer User ID", date: "Order Date", amount: "Order Total" };
  const { quality } = await read(file(swapped), { columns });
  expect(quality.repeated_order_totals?.order_column).toBe("Order ID");
});

test("without --order-col, a column named like an order's whose groups span several dates is no order", async () => {
  // A subscription log: each customer's own monthly fee, every line "completed". Grouped by
  // order_status each customer's year was an "order" carrying one amount, and the warning said
  // to pass --order-col order_status --amount-per order, reading each customer's year as one fee.
  const lines = ["customer_id,date,amount,order_status"];
  for (let c = 0; c < 20; c++) {
    for (let m = 1; m <= 6; m++)
      lines.push(`c${c},2024-0${m}-1${c % 9},${10 + 7 * c}.25,completed`);
  }
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const { quality } = await read(file(lines.join("\n")), { columns });
  expect(quality.repeated_order_totals).toBeUndefined();
});

test("one row per unit (tickets) with --order-col: read line by line and warned about, not refused", async () => {
  // A box office's export: each seat is a line at its price; most orders buy seats at one price.
  const lines = ["order,customer,date,seat,price"];
  const orders: Array<[string, string, string, number[]]> = [];
  for (let k = 0; k < 40; k++) {
    const seats = k % 4 === 3 ? [30, 45] : Array.from({ length: 2 + (k % 3) }, () => 20 + (k % 5));
    orders.push([`o${k}`, `c${k % 13}`, `2023-02-${String(1 + (k % 27)).padStart(2, "0")}`, seats]);
  }
  for (const [order, customer, date, seats] of orders) {
    for (const [i, p] of seats.entries()) lines.push(`${order},${customer},${date},s${i},${p}`);
  }
  const columns = { customerId: "customer", date: "date", amount: "price", order: "order" };
  const read1 = await read(file(lines.join("\n")), { columns });
  const spend = (log: Awaited<ReturnType<typeof read>>["log"]) =>
    purchaseDays(log).reduce((s, l) => s + Number(l.split(" ")[2]), 0);
  const truth = orders.reduce((s, [, , , seats]) => s + seats.reduce((a, b) => a + b, 0), 0);
  expect(spend(read1.log)).toBeCloseTo(truth, 6);
  const warning = read1.quality.repeated_order_totals;
  expect(warning?.column).toBe("price");
  expect(warning?.order_column).toBe("order");
  expect(warning?.sampled_rows).toBeUndefined();
  expect(dataQualityLines(read1.quality).join("\n")).toContain(
    'WARNING: column "price" carries the same amount on every line of most orders: 30 of 40 orders with several lines (75%)',
  );
  expect(dataQualityLines(read1.quality).join("\n")).toContain(
    "read line by line, as one row per unit sold (tickets, an order_items export) is; if it is the order's total, pass --amount-per order",
  );
  // Said to be line amounts: the same read, without the warning.
  const lineByLine = await read(file(lines.join("\n")), { columns, amountPer: "line" });
  expect(purchaseDays(lineByLine.log)).toEqual(purchaseDays(read1.log));
  expect(lineByLine.quality.repeated_order_totals).toBeUndefined();
  // Named as a total, the same column is refused.
  const named = lines.join("\n").replace("seat,price", "seat,order_total");
  const error = await failure(
    read(file(named), { columns: { ...columns, amount: "order_total" } }),
  );
  expect(error).toBeInstanceOf(InputError);
});

// An Olist items ⋈ payments join writes each payment once per item. An order paid in two equal
// payments (voucher 50.00 + card 50.00) wrote 50 twice and was read as 50, one payment dropped.
const SPLIT = [
  "order_id,customer,date,order_item_id,payment_sequential,payment_value",
  // a: one item, two payments of 50 (truth 100)
  "a,c1,2023-01-01,1,1,50",
  "a,c1,2023-01-01,1,2,50",
  // b: two items, two payments of 50: 4 rows (truth 100)
  "b,c2,2023-01-02,1,1,50",
  "b,c2,2023-01-02,1,2,50",
  "b,c2,2023-01-02,2,1,50",
  "b,c2,2023-01-02,2,2,50",
  // c: one item, payments 50, 50 and 30 (truth 130)
  "c,c3,2023-01-03,1,1,50",
  "c,c3,2023-01-03,1,2,50",
  "c,c3,2023-01-03,1,3,30",
  // d: two items, one payment of 80 (truth 80)
  "d,c4,2023-01-04,1,1,80",
  "d,c4,2023-01-04,2,1,80",
].join("\n");
const SPLIT_COLUMNS = {
  customerId: "customer",
  date: "date",
  amount: "payment_value",
  order: "order_id",
};

test("--amount-per order: split payments of equal value are each read, told apart by --payment-col", async () => {
  const paid = await read(file(SPLIT), {
    columns: { ...SPLIT_COLUMNS, payment: "payment_sequential" },
    amountPer: "order",
  } as never);
  expect(purchaseDays(paid.log)).toEqual([
    "c1 2023-01-01 100",
    "c2 2023-01-02 100",
    "c3 2023-01-03 130",
    "c4 2023-01-04 80",
  ]);
  expect(paid.quality.order_amounts_read_once).toBe(3); // b's second item's two, d's second
  const alone = await failure(
    read(file(SPLIT), { columns: { ...SPLIT_COLUMNS, payment: "payment_sequential" } } as never),
  );
  expect(alone?.message).toContain("--payment-col needs --amount-per order");
});

test("--amount-per order without --payment-col: an amount written more often than its order's others is several payments", async () => {
  // Each payment is written once per item: an amount written twice as often as another is two
  // payments of that value (c: 50, 50 and 30 on one item). One amount alone is read once (a, b
  // ambiguous: a total repeated per item, as WooCommerce's; --payment-col tells).
  const paid = await read(file(SPLIT), { columns: SPLIT_COLUMNS, amountPer: "order" });
  expect(purchaseDays(paid.log)).toEqual([
    "c1 2023-01-01 50",
    "c2 2023-01-02 50",
    "c3 2023-01-03 130",
    "c4 2023-01-04 80",
  ]);
});

test("--payment-col reaches the reader from the command line", () => {
  const program = addTransactionLogOptions(new Command(), "log");
  program.parse(
    ["--data", "x.csv", "--order-col", "id", "--amount-per", "order", "--payment-col", "seq"],
    { from: "user" },
  );
  expect(transactionLogFromCli(program.opts()).log?.columns?.payment).toBe("seq");
});

// Olist's orders ⋈ order_payments (no items): an order paid in two equal parts (two vouchers of
// 25.00) writes one amount on each of its lines, which looks like a total repeated per line.
// The refusal's first advice, --amount-per order, then read each such order at half its spend;
// with a payment-number column in the log, it names --amount-per order --payment-col first.
test("a refused payment column beside a payment_sequential column: the hint says --payment-col", async () => {
  const lines = ["order_id,customer,date,payment_sequential,payment_value"];
  for (let i = 0; i < 8; i++) {
    lines.push(`o${i},c${i},2023-01-0${1 + (i % 8)},1,25.${i}0`);
    lines.push(`o${i},c${i},2023-01-0${1 + (i % 8)},2,25.${i}0`);
  }
  const error = await failure(read(file(lines.join("\n")), { columns: SPLIT_COLUMNS }));
  expect(error).toBeInstanceOf(InputError);
  const hint = (error as InputError).hint ?? "";
  expect(hint).toContain(
    'if the lines are the order\'s payments, numbered by column "payment_sequential", pass --amount-per order --payment-col payment_sequential',
  );
  // The same rows from a --query over orders and payments files: the query's result is loaded
  // column by column, the payment number among them.
  const folder = mkdtempSync(join(tmpdir(), "olist-payments-"));
  writeFileSync(
    join(folder, "orders.csv"),
    ["order_id,customer,date", ...lines.slice(1).map((l) => l.split(",").slice(0, 3).join(","))]
      .filter((l, i, all) => all.indexOf(l) === i)
      .join("\n"),
  );
  writeFileSync(
    join(folder, "payments.csv"),
    [
      "order_id,payment_sequential,payment_value",
      ...lines.slice(1).map((l) => {
        const [order, , , seq, value] = l.split(",");
        return `${order},${seq},${value}`;
      }),
    ].join("\n"),
  );
  const query = "SELECT * FROM orders JOIN payments USING (order_id)";
  const joined = await failure(
    readTransactionLog({ source: { kind: "query", path: folder, query }, columns: SPLIT_COLUMNS }),
  );
  expect((joined as InputError).hint).toContain("--payment-col payment_sequential");
  // Read so, each payment counts: the truth (50.xx per order).
  const paid = await read(file(lines.join("\n")), {
    columns: { ...SPLIT_COLUMNS, payment: "payment_sequential" },
    amountPer: "order",
  } as never);
  expect(purchaseDays(paid.log)[0]).toBe("c0 2023-01-01 50");
});
