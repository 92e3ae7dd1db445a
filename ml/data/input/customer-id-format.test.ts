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

// A missing id written as a word: SQL clients write NULL, MySQL and PostgreSQL's text COPY \N,
// pandas' astype(str) nan and None, Excel #N/A. Read as written, every guest checkout became one
// customer named "NULL", with the most purchases of anybody.
test("ids written as a missing value (NULL, \\N, nan, None, #N/A, -) are no customer's: skipped and counted, any case", async () => {
  const lines = [
    "customer_id,date,amount",
    "17850.0,2020-01-01,5", // line 2
    "NULL,2020-01-02,3",
    "\\N,2020-01-03,3",
    "nan,2020-01-04,3", // line 5
    " None ,2020-01-05,3",
    "#N/A,2020-01-06,3",
    "-,2020-01-07,3",
    "Null,2020-01-08,3",
    "13047.0,2020-01-09,2", // line 10
    "n/a,2020-01-12,1",
    "undefined,2020-01-13,1",
  ];
  const { log, quality } = await read(file(`${lines.join("\n")}\n`));
  const reason = "customer id written as a missing value (NULL, \\N, NA, nan, None, …)";
  expect(quality.skipped).toEqual({ [reason]: 9 });
  expect(quality.examples[reason]).toEqual([3, 4, 5, 6, 7]);
  // The words do not stop a float export's ids from being read as whole numbers.
  expect([...log.customerIds].sort()).toEqual(["13047", "17850"]);
  expect(dataQualityLines(quality).join("\n")).toContain(
    `skipped 9: ${reason} (e.g. lines 3, 4, 5, 6, 7)`,
  );
});
