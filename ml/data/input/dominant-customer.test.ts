// Guest checkouts filed under one id (WooCommerce's customer 0) are named by the read, with the
// option that leaves them out; a log whose heaviest buyers are merely heavy is not.
import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import {
  tempLogFile as file,
  LOG_COLUMNS,
  readCsvLog as read,
  readSimulatedOnlineRetail,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

const date = (day: number) =>
  new Date(Date.parse("2022-01-01") + day * 86_400_000).toISOString().slice(0, 10);

/** 200 customers buying on 1–6 days, and `heavy` ids buying on `days` days each. */
function shopLog(heavy: Record<string, number>): string {
  const lines = ["customer_id,date,amount"];
  for (let c = 1; c <= 200; c++)
    for (let k = 0; k < 1 + (c % 6); k++) lines.push(`${c},${date((c * 13 + k * 61) % 600)},20`);
  for (const [id, days] of Object.entries(heavy))
    for (let d = 0; d < days; d++) lines.push(`${JSON.stringify(id)},${date(d * 2)},35`);
  return file(`${lines.join("\n")}\n`);
}

test("guest checkouts under one id: the read names it, its share and the --drop-rows that leaves it out", async () => {
  const path = shopLog({ "0": 300 });
  const { log, quality } = await read(path);
  const spend = log.amount.subarray(0, log.length).reduce((a, b) => a + b, 0);
  expect(quality.dominant_customer).toEqual({
    id: "0",
    column: "customer_id",
    purchase_days: 300,
    share: 300 / quality.purchase_days,
    spend_share: (300 * 35) / spend,
    next_most: 6,
  });
  expect(dataQualityLines(quality)).toContain(
    '  WARNING: customer "0" buys on 300 days, 30% of all purchase days and 43% of the spend, and no other customer on more than 6: an id that stands for guest checkouts or a shared account (WooCommerce writes 0) is modelled as one customer, the shop\'s best; if it is one, pass --drop-rows customer_id=0',
  );
  // The report's data table says it too.
  const rows = dataQualityTables(quality)[0]?.rows.map((r) => r.join(" | "));
  expect(rows).toContainEqual(expect.stringContaining("one customer stands out | WARNING"));
  // The option it names does leave it out, and then nothing stands out.
  const dropped = await read(path, {
    columns: { ...LOG_COLUMNS, dropBy: "customer_id" },
    dropValues: ["0"],
  });
  expect(dropped.log.customerIds).not.toContain("0");
  expect(dropped.quality.dominant_customer).toBeUndefined();
});

test("a daily guest account in a large shop is named by its share of the spend, though its days are few", async () => {
  // 4,000 customers on 3 days each (12,000 purchase days) and a guest id whose many orders a day
  // add up to 40% of the spend: 500 days are 4% of the purchase days, under the days' 5%.
  const lines = ["customer_id,date,amount"];
  for (let c = 1; c <= 4000; c++)
    for (let k = 0; k < 3; k++) lines.push(`${c},${date((c * 7 + k * 97) % 600)},20`);
  for (let d = 0; d < 500; d++) lines.push(`guest,${date(d)},${(4000 * 3 * 20 * 0.4) / 0.6 / 500}`);
  const { quality } = await read(file(`${lines.join("\n")}\n`));
  expect(quality.dominant_customer).toMatchObject({
    id: "guest",
    purchase_days: 500,
    next_most: 3,
  });
  expect(quality.dominant_customer?.share).toBeLessThan(0.05);
  expect(quality.dominant_customer?.spend_share).toBeCloseTo(0.4, 6);
  expect(dataQualityLines(quality).join("\n")).toContain(
    'customer "guest" buys on 500 days, 4% of all purchase days and 40% of the spend',
  );
});

test("an id that needs quoting gets a --drop-rows a shell takes as one argument", async () => {
  const { quality } = await read(shopLog({ "O'Brien walk-in": 300 }));
  expect(dataQualityLines(quality).join("\n")).toContain(
    "pass --drop-rows 'customer_id=O'\\''Brien walk-in'",
  );
});

test("heavy buyers that are merely heavy are not named: two wholesalers, a small log, a retail log", async () => {
  // Two accounts of 150 days each: 23% of the purchase days between them, neither 5× the other.
  expect((await read(shopLog({ w1: 150, w2: 150 }))).quality.dominant_customer).toBeUndefined();
  // 30 customers: too few to say one stands out.
  const small = ["customer_id,date,amount"];
  for (let c = 0; c < 30; c++) small.push(`${c},${date(c)},5`);
  for (let d = 0; d < 100; d++) small.push(`big,${date(d * 3)},5`);
  expect((await read(file(`${small.join("\n")}\n`))).quality.dominant_customer).toBeUndefined();
  // The simulated Online Retail export (its guest lines have no id at all).
  const retail = await readSimulatedOnlineRetail();
  expect(retail.quality.customers_in_log).toBeGreaterThan(300);
  expect(retail.quality.dominant_customer).toBeUndefined();
});
