// Cancelled, refunded and failed orders in a status column are read as purchases unless left out:
// the read names them and the --drop-rows to pass.
import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import { tempLogFile as file, LOG_COLUMNS, readCsvLog as read } from "../../testing/log-files.ts";
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
    `  WARNING: column "Financial Status" holds Refunded (1 rows), refunded (1 rows), voided (1 rows) among its first 6 values: they are read as purchases; pass --drop-rows 'Financial Status=Refunded,refunded,voided' if they are not sales`,
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

// An event log (Retail Rocket's events.csv): views and add-to-carts beside transactions. Read
// without --keep-rows, every view was a purchase, and nothing was said.
test("an event column with views and add-to-carts: named, with the --drop-rows to pass", async () => {
  const events = [
    "customer_id,date,amount,event",
    "a,2023-01-02,0,view",
    "a,2023-01-02,0,addtocart",
    "a,2023-01-02,10,transaction",
    "b,2023-01-03,0,view",
    "b,2023-01-04,0,view",
  ].join("\n");
  const { quality } = await read(file(events));
  expect(quality.not_sales?.map((s) => [s.column, s.values.map((v) => v.value)])).toEqual([
    ["event", ["view", "addtocart"]],
  ]);
  expect(dataQualityLines(quality).join("\n")).toContain("pass --drop-rows event=view,addtocart");
  const kept = await read(file(events), {
    columns: { ...LOG_COLUMNS, keepBy: "event" },
    keepValues: ["transaction"],
  });
  expect(kept.quality.not_sales).toBeUndefined();
  expect(kept.log.length).toBe(1);
});
