// Amounts in several currencies are summed as written: the read names the currencies of the first
// rows and the --keep-rows that models one.
import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import { tempLogFile as file, LOG_COLUMNS, readCsvLog as read } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

const ORDERS = [
  "customer_id,date,amount,Currency Code",
  "a,2023-01-02,10,EUR",
  "a,2023-01-09,12,EUR",
  "b,2023-01-03,1500,JPY",
  "c,2023-01-04,8,USD",
  "c,2023-01-05,9,EUR",
].join("\n");

test("a currency column with several currencies: named, counted, and the --keep-rows that picks one", async () => {
  const { quality } = await read(file(ORDERS));
  expect(quality.currencies).toEqual({
    column: "Currency Code",
    sampled_rows: 5,
    values: [
      { value: "EUR", rows: 3 },
      { value: "JPY", rows: 1 },
      { value: "USD", rows: 1 },
    ],
    distinct: 3,
  });
  expect(dataQualityLines(quality)).toContain(
    `  WARNING: column "Currency Code" holds 3 currencies among its first 5 values (EUR 3, JPY 1, USD 1): amounts are summed as written, whatever their currency; pass --keep-rows 'Currency Code=EUR' to model one, or convert the amounts first`,
  );
  const rows = dataQualityTables(quality)[0]?.rows.map((r) => r.join(" | "));
  expect(rows).toContainEqual(expect.stringContaining("several currencies | WARNING"));
  // Picking one with --keep-rows, one currency throughout, or no such column: nothing to say.
  const kept = await read(file(ORDERS), {
    columns: { ...LOG_COLUMNS, keepBy: "Currency Code" },
    keepValues: ["EUR"],
  });
  expect(kept.quality.currencies).toBeUndefined();
  // --drop-rows leaving one currency picks it too (it warned on, naming the --keep-rows); leaving
  // two, it still warns.
  const dropBy = { columns: { ...LOG_COLUMNS, dropBy: "Currency Code" } };
  const left = await read(file(ORDERS), { ...dropBy, dropValues: ["JPY", "USD"] });
  expect(left.quality.currencies).toBeUndefined();
  const two = await read(file(ORDERS), { ...dropBy, dropValues: ["JPY"] });
  expect(two.quality.currencies?.distinct).toBe(3);
  const one = ORDERS.replace(/,(JPY|USD)$/gm, ",EUR");
  expect((await read(file(one))).quality.currencies).toBeUndefined();
  const none = ORDERS.replace("Currency Code", "note");
  expect((await read(file(none))).quality.currencies).toBeUndefined();
});
