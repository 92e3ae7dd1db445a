// The purchase day of a line (dayExpression), read through the whole input layer.
import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  tempLogFile as file,
  readCsvLog as read,
  writeParquet,
} from "../../testing/log-files.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

// Stripe's export names its date column "Created (UTC)" and writes no offset: with --timezone the
// times were taken as the shop's own, so a New York evening purchase (02:00 UTC) counted the next day.
test("a date column named UTC: with --timezone its times convert from UTC to the shop's day; dates without a time stay", async () => {
  const byName = async (column: string, a: string, b: string, timezone?: string) => {
    const path = file(`customer_id,${column},amount\na,${a},1\nb,${b},2\n`);
    const columns = { customerId: "customer_id", date: column, amount: "amount" };
    const source = { kind: "csv", path } as const;
    return days((await read(path, { source, columns, ...(timezone ? { timezone } : {}) })).log);
  };
  const ny = "America/New_York";
  expect(await byName("Created (UTC)", "2020-01-06 02:00", "2020-01-06 15:00", ny)).toEqual([
    "a 2020-01-05 1",
    "b 2020-01-06 2",
  ]);
  expect(await byName("created_utc", "01/06/2020 02:00", "01/16/2020 15:00", ny)).toEqual([
    "a 2020-01-05 1",
    "b 2020-01-16 2",
  ]);
  // Without --timezone the date as written; a date without a time, or a column not named UTC, too.
  expect(await byName("Created (UTC)", "2020-01-06 02:00", "2020-01-06 15:00")).toEqual([
    "a 2020-01-06 1",
    "b 2020-01-06 2",
  ]);
  expect(await byName("Created (UTC)", "2020-01-06", "2020-01-07", ny)).toEqual([
    "a 2020-01-06 1",
    "b 2020-01-07 2",
  ]);
  expect(await byName("Created", "2020-01-06 02:00", "2020-01-06 15:00", ny)).toEqual([
    "a 2020-01-06 1",
    "b 2020-01-06 2",
  ]);
  // A Parquet TIMESTAMP (no zone) named so converts the same way.
  const parquet = await writeParquet(
    file("", "parquet"),
    `SELECT * FROM (VALUES ('a', TIMESTAMP '2020-01-06 02:00', 1.0)) AS t(customer_id, created_utc, amount)`,
  );
  const fromParquet = await readTransactionLog({
    source: { kind: "parquet", path: parquet },
    columns: { customerId: "customer_id", date: "created_utc", amount: "amount" },
    timezone: ny,
  });
  expect(days(fromParquet.log)).toEqual(["a 2020-01-05 1"]);
});
