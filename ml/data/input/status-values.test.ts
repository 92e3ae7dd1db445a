// Cancelled, refunded and failed orders in a status column are read as purchases unless left out:
// the read names them and the --drop-rows to pass.
import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import {
  tempLogFile as file,
  LOG_COLUMNS,
  purchaseDays,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

const ORDERS = [
  "customer_id,date,amount,Financial Status,fulfillment_state",
  "a,2023-01-02,10,paid,fulfilled",
  "a,2023-01-09,12,refunded,restocked",
  "b,2023-01-03,15,paid,fulfilled",
  "c,2023-01-04,8,voided,",
  "c,2023-01-05,9,Refunded,fulfilled",
  "d,2023-01-06,7,,fulfilled",
  "d,2023-01-07,7,partially_refunded,fulfilled", // a sale with part of it refunded
].join("\n");

test("a status column with refunds and voids: named per value, with the --drop-rows to pass", async () => {
  const { quality } = await read(file(ORDERS));
  expect(quality.not_sales).toEqual([
    {
      column: "Financial Status",
      sampled_rows: 6,
      values: [
        { value: "Refunded", rows: 1 },
        { value: "refunded", rows: 1 },
        { value: "voided", rows: 1 },
      ],
    },
  ]);
  expect(dataQualityLines(quality)).toContain(
    `  WARNING: column "Financial Status" holds Refunded (1 row), refunded (1 row), voided (1 row) among its first 6 values: they are read as purchases; pass --drop-rows 'Financial Status=Refunded,refunded,voided' if they are not sales`,
  );
  const rows = dataQualityTables(quality)[0]?.rows.map((r) => r.join(" | "));
  expect(rows).toContainEqual(expect.stringContaining('no sales in "Financial Status"? | WARNING'));
  // The option it names leaves them out, and then nothing is said.
  const dropped = await read(file(ORDERS), {
    columns: { ...LOG_COLUMNS, dropBy: "Financial Status" },
    dropValues: ["Refunded", "refunded", "voided"],
  });
  expect(dropped.quality.left_out?.rows).toBe(3);
  expect(dropped.quality.not_sales).toBeUndefined();
  // Only paid orders: nothing to say.
  const paid = ORDERS.split("\n")
    .filter((l) => !/refunded|voided/i.test(l))
    .join("\n");
  expect((await read(file(paid))).quality.not_sales).toBeUndefined();
});

// A --drop-rows on the status column matches its values exactly: `Canceled` stayed in as
// purchases beside a `--drop-rows order_status=canceled`, and the filter turned the warning off.
// Olist's `unavailable` orders (never delivered) were not named at all.
test("values a --drop-rows leaves that still say no sale are named, with the whole list to pass; unavailable too", async () => {
  const text = [
    "customer_id,date,amount,order_status",
    "a,2023-01-02,10,delivered",
    "a,2023-01-09,12,canceled",
    "b,2023-01-03,15,Canceled",
    "c,2023-01-04,8,unavailable",
    "c,2023-01-05,9,delivered",
  ].join("\n");
  const { quality } = await read(file(text), {
    columns: { ...LOG_COLUMNS, dropBy: "order_status" },
    dropValues: ["canceled"],
  });
  expect(quality.left_out?.rows).toBe(1);
  expect(quality.not_sales).toEqual([
    {
      column: "order_status",
      sampled_rows: 5,
      values: [
        { value: "Canceled", rows: 1 },
        { value: "unavailable", rows: 1 },
      ],
      dropped: ["canceled"],
    },
  ]);
  expect(dataQualityLines(quality)).toContain(
    '  WARNING: column "order_status" holds Canceled (1 row), unavailable (1 row) among its first 5 values besides those --drop-rows leaves out (canceled): they are read as purchases; pass --drop-rows order_status=canceled,Canceled,unavailable if they are not sales',
  );
  const all = await read(file(text), {
    columns: { ...LOG_COLUMNS, dropBy: "order_status" },
    dropValues: ["canceled", "Canceled", "unavailable"],
  });
  expect(all.quality.not_sales).toBeUndefined();
  expect(purchaseDays(all.log)).toEqual(["a 2023-01-02 10", "c 2023-01-05 9"]);
});

// An event log with a few browsing rows among its purchases (a shop's order feed that also logs
// abandoned carts): named, with the --drop-rows to pass, and read.
test("an event column with a few add-to-carts: named, with the --drop-rows to pass", async () => {
  const events = [
    "customer_id,date,amount,event",
    "a,2023-01-02,0,addtocart",
    "a,2023-01-02,10,transaction",
    "b,2023-01-03,12,transaction",
    "b,2023-01-04,8,transaction",
  ].join("\n");
  const { quality, log } = await read(file(events));
  expect(quality.not_sales?.map((s) => [s.column, s.values.map((v) => v.value)])).toEqual([
    ["event", ["addtocart"]],
  ]);
  expect(log.length).toBe(3); // purchase days: a's cart and transaction are one
  expect(dataQualityLines(quality).join("\n")).toContain("pass --drop-rows event=addtocart");
});

// A GA4 BigQuery export's event_name: page_view and add_to_cart were known as browsing, but not
// user_engagement, scroll, first_visit, begin_checkout, select_item or add_payment_info, and only
// the 8 most frequent browsing values were counted: a probe's GA4-like log of 27,568 events (8%
// purchases) was read with one warning, every event a purchase. Both now count, and the read stops.
test("a GA4 event log (many event names, most of them browsing) stops with the --keep-rows to pass", async () => {
  const browsing = [
    "page_view",
    "user_engagement",
    "scroll",
    "first_visit",
    "session_start",
    "view_item",
    "add_to_cart",
    "begin_checkout",
    "select_item",
    "add_payment_info",
    "add_shipping_info",
    "view_item_list",
  ];
  const lines = ["customer_id,date,amount,event_name"];
  for (let c = 0; c < 20; c++) {
    lines.push(`u${c},2023-01-0${1 + (c % 9)},0,purchase`);
    // Each customer's browsing: three names, so each name is under a tenth of the rows.
    for (let k = 0; k < 3; k++)
      lines.push(`u${c},2023-01-0${1 + (c % 9)},0,${browsing[(c + k * 5) % 12]}`);
  }
  const error = await read(file(lines.join("\n"))).then(
    () => null,
    (e: Error) => e,
  );
  expect(error?.message).toContain("60 of its first 80 values are browsing, not buying");
  expect(error?.message).toContain(
    "pass --keep-rows event_name=purchase to read only the purchases",
  );
  // The --drop-rows it offers leaves out every browsing name, not only the eight listed.
  const drop = /--drop-rows event_name=([\w,]+)/.exec(error?.message ?? "")?.[1]?.split(",");
  expect(drop?.sort()).toEqual([...browsing].sort());
  // Shopify's web pixel names its purchase checkout_completed: not browsing.
  const shopify = ["customer_id,date,amount,event", "a,2023-01-02,5,checkout_completed"];
  shopify.push("b,2023-01-03,7,checkout_completed", "b,2023-01-04,0,checkout_started");
  const { quality } = await read(file(shopify.join("\n")));
  expect(quality.not_sales?.[0]?.values.map((v) => v.value)).toEqual(["checkout_started"]);
});

// An event log (Retail Rocket's events.csv: 97% views): read without --keep-rows, every view was
// a purchase, and first nothing, then only a warning, was said. Browsing as most of the rows stops
// the read, naming the --keep-rows that reads the purchases; every option it names works.
test("an event log where browsing is most rows: stops, naming the --keep-rows to pass", async () => {
  const events = [
    "customer_id,date,amount,event",
    "a,2023-01-02,0,view",
    "a,2023-01-02,0,addtocart",
    "a,2023-01-02,10,transaction",
    "b,2023-01-03,0,view",
    "b,2023-01-04,0,view",
  ].join("\n");
  const error = await read(file(events)).then(
    () => null,
    (e: Error) => e,
  );
  expect(error?.message).toBe(
    'column "event" holds view (3 rows), addtocart (1 row): 4 of its first 5 values are browsing, ' +
      "not buying, and every one would be read as a purchase; pass --keep-rows event=transaction " +
      "to read only the purchases (or --drop-rows event=view,addtocart); to read every row as a " +
      "purchase, pass --keep-rows event=view,addtocart,transaction",
  );
  const keepBy = { columns: { ...LOG_COLUMNS, keepBy: "event" } };
  const kept = await read(file(events), { ...keepBy, keepValues: ["transaction"] });
  expect(kept.quality.not_sales).toBeUndefined();
  expect(kept.log.length).toBe(1);
  const dropped = await read(file(events), {
    columns: { ...LOG_COLUMNS, dropBy: "event" },
    dropValues: ["view", "addtocart"],
  });
  expect(dropped.log.length).toBe(1);
  const every = await read(file(events), {
    ...keepBy,
    keepValues: ["view", "addtocart", "transaction"],
  });
  expect(every.log.length).toBe(3); // b's views are purchase days too
  // Only browsing: no --keep-rows can help, and the error says what to pass instead.
  const browsing = events.split("\n").filter((line) => !line.endsWith("transaction"));
  const none = await read(file(browsing.join("\n"))).then(
    () => null,
    (e: Error) => e,
  );
  expect(none?.message).toContain("pass the log of orders or transactions instead");
});

// A PayPal activity download of a known population: 40 customers' payments, a dispute hold on
// every fifth (−, then its cancellation +, which read as a second purchase), reversed and denied
// payments, and the shop's withdrawals. None of it was named before.
function paypalDownload() {
  const head = `"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address","Transaction ID"`;
  const lines = [head];
  const truth: string[] = [];
  const row = (day: number, type: string, status: string, gross: number, from: string) =>
    lines.push(
      `"01/${String(day).padStart(2, "0")}/2020","10:00:00","PST","x","${type}","${status}","USD","${gross.toFixed(2)}","0.00","${gross.toFixed(2)}","${from}","${lines.length}"`,
    );
  for (let c = 0; c < 40; c++) {
    const who = `c${c}@x.org`;
    const gross = 10 + c;
    row(1 + (c % 9), "Express Checkout Payment", "Completed", gross, who);
    truth.push(`${who} 2020-01-0${1 + (c % 9)} ${gross}`);
    if (c % 5 === 0) {
      row(12, "Hold on Balance for Dispute Investigation", "Completed", -gross, who);
      row(20, "Cancellation of Hold for Dispute Resolution", "Completed", gross, who);
    }
    if (c % 8 === 0) row(22, "Express Checkout Payment", "Reversed", 30, who);
    if (c % 10 === 0) row(23, "Express Checkout Payment", "Denied", 30, who);
  }
  row(25, "General Withdrawal", "Completed", -100, "shop@x.org");
  return { text: lines.join("\n"), truth: truth.sort() };
}

test("PayPal's holds, withdrawals, reversed and denied payments are named; the options they name give the truth", async () => {
  const { text, truth } = paypalDownload();
  const columns = { customerId: "From Email Address", date: "Date", amount: "Gross" };
  const { log, quality } = await read(file(text), { columns });
  // Read as written, every held customer bought twice and the held payment's spend was netted.
  expect(purchaseDays(log)).not.toEqual(truth);
  const named = quality.not_sales?.map((s) => [s.column, s.values.map((v) => v.value)]);
  expect(named).toEqual([
    [
      "Type",
      [
        "Cancellation of Hold for Dispute Resolution",
        "Hold on Balance for Dispute Investigation",
        "General Withdrawal",
      ],
    ],
    ["Status", ["Reversed", "Denied"]],
  ]);
  const fixed = await read(file(text), {
    columns: { ...columns, dropBy: "Type", keepBy: "Status" },
    dropValues: named?.[0]?.[1] as string[],
    keepValues: ["Completed"],
  });
  expect(purchaseDays(fixed.log)).toEqual(truth);
});

test("status columns as Amazon (order-status) and APIs (orderStatus) name them; BigCommerce's Incomplete", async () => {
  for (const column of ["order-status", "orderStatus", "Order Status"]) {
    const text = [
      `customer_id,date,amount,${column}`,
      "a,2023-01-02,10,Shipped",
      "a,2023-01-03,10,Cancelled",
      "b,2023-01-03,10,Incomplete",
    ].join("\n");
    const { quality } = await read(file(text));
    expect(quality.not_sales?.map((s) => [s.column, s.values.map((v) => v.value)])).toEqual([
      [column, ["Cancelled", "Incomplete"]],
    ]);
  }
  // A column merely ending in "state" is not a status (estate), nor a payment type a transfer.
  const other = "customer_id,date,amount,estate,Payment Type\na,2023-01-02,10,void,Bank Transfer\n";
  expect((await read(file(other))).quality.not_sales).toBeUndefined();
});

// A point-of-sale export marks returns by a Type (or kind) column, with positive amounts: they were
// read as purchases without a word (+3% purchase days on a probe's 42,534-day log), since only
// status columns were looked at. Returns written negative are read as returns already: not named.
test("returns marked by a type or kind column with positive amounts are named; negative ones are not", async () => {
  for (const column of ["Type", "transaction_type", "kind", "lineType"]) {
    const text = [
      `customer_id,date,amount,${column}`,
      "a,2023-01-02,10,Sale",
      "a,2023-01-09,10,Return",
      "b,2023-01-03,15,Sale",
      "b,2023-01-04,-15,Refund",
      "c,2023-01-05,(9),Returned",
    ].join("\n");
    const { quality } = await read(file(text));
    expect({ column, not_sales: quality.not_sales }).toEqual({
      column,
      not_sales: [
        { column, sampled_rows: 5, values: [{ value: "Return", rows: 1 }], returns: ["Return"] },
      ],
    });
  }
});

// WooCommerce-like exports write a refund as its own row, negative, with the status "refunded":
// read as a return already (netted against its order). The status check named those rows as read
// as purchases and said to --drop-rows them, which left every refunded order in as a full
// purchase (a probe's 545 customers: 147 read wrong, 15 that never kept a purchase added).
test("refunds written negative in a status column are returns already: only those written positive are named", async () => {
  const text = [
    "customer_id,date,amount,status,order",
    "a,2023-01-02,10,paid,o1",
    "a,2023-01-05,-10,refunded,o1",
    "a,2023-01-09,12,paid,o2",
    "b,2023-01-03,15,paid,o3",
    "b,2023-01-04,-15.00,refunded,o3",
    "c,2023-01-06,8,refunded,o4",
  ].join("\n");
  const { quality, log } = await read(file(text), {
    columns: { ...LOG_COLUMNS, order: "order" },
  });
  // Only c's positive row is read as a purchase while its status says refunded.
  expect(quality.not_sales).toEqual([
    { column: "status", sampled_rows: 6, values: [{ value: "refunded", rows: 1 }] },
  ]);
  expect(purchaseDays(log)).toEqual(["a 2023-01-09 12", "c 2023-01-06 8"]);
});

// Some exports write a refund as a row of its own beside its sale, positive, with the status
// "refunded" (the order's sale row stays "paid"). The warning said only to --drop-rows them, which
// left every refunded order in as a full purchase (a probe's Shopify-like export, 545 customers:
// 147 read wrong, 3,291 purchase days for 3,086); --return-rows nets them against their sale.
test("refunds written beside their sale are named with the --return-rows that nets them", async () => {
  const text = [
    "customer_id,date,amount,Financial Status,order",
    "a,2023-01-02,10,paid,o1",
    "a,2023-01-05,10,refunded,o1",
    "a,2023-01-09,12,paid,o2",
    "b,2023-01-03,15,paid,o3",
    "b,2023-01-04,15.00,refunded,o3",
    "c,2023-01-06,8,voided,o4",
  ].join("\n");
  for (const columns of [LOG_COLUMNS, { ...LOG_COLUMNS, order: "order" }]) {
    const { quality } = await read(file(text), { columns });
    expect(quality.not_sales?.[0]?.beside_sales?.values).toEqual(["refunded"]);
    expect(dataQualityLines(quality).join("\n")).toContain(
      "refunded repeats a sale of its customer (the same " +
        (columns.order ? "order" : "amount") +
        ") on 2 of 2 rows: if these are refunds written beside their sale, pass --return-rows " +
        "'Financial Status=refunded' to subtract them from spend" +
        (columns.order ? "" : " (with --order-col naming the order id, each from its own order)") +
        ", and --drop-rows 'Financial Status=voided' if those " +
        "others are not sales; if they are orders that were no sale, pass --drop-rows " +
        "'Financial Status=refunded,voided'",
    );
  }
  const { log } = await read(file(text), {
    columns: {
      ...LOG_COLUMNS,
      order: "order",
      returnBy: "Financial Status",
      dropBy: "Financial Status",
    },
    returnValues: ["refunded"],
    dropValues: ["voided"],
  });
  expect(purchaseDays(log)).toEqual(["a 2023-01-09 12"]);
  // A refunded order written once, on its own row, is no sale: --drop-rows alone, as before.
  const once = await read(
    file(text.replace("a,2023-01-05,10,refunded,o1", "a,2023-01-05,7,refunded,o9")),
  );
  expect(once.quality.not_sales?.[0]?.beside_sales).toBeUndefined();
});

// Shopify's API orders (and shop exports after it) flag test orders `test: true`; Stripe's
// objects say `livemode: false`. They were read as purchases without a word (a probe's export:
// 30 test orders of one "customer").
test("test orders flagged by a test column, or livemode false, are named with the --drop-rows to pass", async () => {
  const flags: Array<[string, string]> = [
    ["Test", "true"],
    ["test", "TRUE"],
    ["is_test", "1"],
    ["livemode", "false"],
  ];
  for (const [column, value] of flags) {
    const live = column === "livemode" ? "true" : "false";
    const text = [
      `customer_id,date,amount,${column}`,
      `a,2023-01-02,10,${live}`,
      `t,2023-01-03,1,${value}`,
      `t,2023-01-04,1,${value}`,
      `b,2023-01-05,15,${live}`,
    ].join("\n");
    const { quality } = await read(file(text));
    expect({ column, not_sales: quality.not_sales }).toEqual({
      column,
      not_sales: [{ column, sampled_rows: 4, values: [{ value, rows: 2 }] }],
    });
    expect(dataQualityLines(quality).join("\n")).toContain(
      `pass --drop-rows ${column}=${value} if they are not sales`,
    );
  }
  // A column of other flags, or all false, says nothing.
  const plain = "customer_id,date,amount,test,testimonial\na,2023-01-02,10,false,yes\n";
  expect((await read(file(plain))).quality.not_sales).toBeUndefined();
});
