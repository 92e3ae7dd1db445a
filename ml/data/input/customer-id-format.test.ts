import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  tempLogFile as file,
  readCsvLog as read,
  writeParquet,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

// pandas writes an id column with a gap as float64: every cleaned Online Retail CSV has
// CustomerID 17850.0. Read as written, /forecast and ml score knew the customer as "17850.0",
// an id the shop's own systems never use.
const FLOATS =
  "customer_id,date,amount\n17850.0,2020-01-01,5\n,2020-01-02,3\n13047.0,2020-01-09,2\n-7.00,2020-01-03,1\n";

test("ids a float export wrote (17850.0) are read as the whole numbers they are, and said so", async () => {
  const { log, quality } = await read(file(FLOATS));
  expect([...log.customerIds].sort()).toEqual(["-7", "13047", "17850"]);
  expect(quality.float_written_ids).toBe("-7.00");
  expect(dataQualityLines(quality).join("\n")).toContain(
    "customer ids written like -7.00 (a float export) read as -7",
  );
  expect(quality.skipped).toEqual({ "missing customer id": 1 });
});

test("a float64 id column in Parquet reads the same; ids such as 0042 or 17850.5 stay as written", async () => {
  const path = await writeParquet(
    file("", "parquet"),
    `SELECT CAST(customer_id AS DOUBLE) AS customer_id, date, amount FROM read_csv('${file(FLOATS)}')`,
  );
  const parquet = await readTransactionLog({
    source: { kind: "parquet", path },
    columns: { customerId: "customer_id", date: "date", amount: "amount" },
  });
  expect(days(parquet.log)).toEqual(days((await read(file(FLOATS))).log));

  const mixed =
    "customer_id,date,amount\n0042,2020-01-01,5\n17850.0,2020-01-02,3\n17850.5,2020-01-03,1\n";
  const asWritten = await read(file(mixed));
  expect([...asWritten.log.customerIds].sort()).toEqual(["0042", "17850.0", "17850.5"]);
  expect(asWritten.quality.float_written_ids).toBeUndefined();
});
