// Point-of-sale and ERP exports write a return as a row of its own with a positive amount and a
// kind (Type=Return): --return-rows reads those rows as returns, netted like negative ones.
import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCaptured } from "../../testing/cli-harness.ts";
import {
  tempLogFile as file,
  LOG_COLUMNS,
  purchaseDays,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

const POS = [
  "customer_id,date,amount,Type,receipt",
  "a,2023-01-02,10,Sale,r1",
  "a,2023-01-02,5,Sale,r1",
  "a,2023-01-09,5,Return,r1", // a later return of part of r1
  "b,2023-01-03,15,Sale,r2",
  "b,2023-01-03,15,Return,r2", // cancelled at the till: no purchase
  "c,2023-01-05,8,Sale,r3",
  "c,2023-01-06,2, Return ,", // trimmed like --drop-rows values; no receipt: latest purchase day
  "d,2023-01-07,7,,r4", // no type: a sale
].join("\n");

const returnRows = { columns: { ...LOG_COLUMNS, returnBy: "Type" }, returnValues: ["Return"] };

test("--return-rows reads rows of the named kind as returns, netted like negative amounts", async () => {
  const { log, quality } = await read(file(POS), returnRows);
  expect(purchaseDays(log)).toEqual(["a 2023-01-02 10", "c 2023-01-05 6", "d 2023-01-07 7"]);
  expect(quality.returns).toMatchObject({ rows: 3, amount: 22, mode: "net" });
  expect(quality.returns.cancelled_purchase_days).toBe(1);
  // The kind column is named no more: its returns are read as returns.
  expect(quality.not_sales).toBeUndefined();
});

test("with an order column the return nets against its order's day", async () => {
  const { log, quality } = await read(file(POS), {
    ...returnRows,
    columns: { ...returnRows.columns, order: "receipt" },
  });
  expect(purchaseDays(log)).toEqual(["a 2023-01-02 10", "c 2023-01-05 6", "d 2023-01-07 7"]);
  expect(quality.returns.matched_orders).toBe(2);
});

test("without it the positive returns are purchases, and the warning names --return-rows", async () => {
  const { log, quality } = await read(file(POS));
  expect(purchaseDays(log)).toContain("a 2023-01-09 5");
  expect(dataQualityLines(quality).join("\n")).toContain(
    "pass --return-rows Type=Return to subtract them from spend as returns",
  );
});

test("a --return-rows column that is not in the log is refused, naming the option", async () => {
  const err = await read(file(POS), {
    columns: { ...LOG_COLUMNS, returnBy: "Kind" },
    returnValues: ["Return"],
  }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toContain('"Kind"');
  expect((err as Error).message).toContain("--return-rows");
});

test("ml train takes --return-rows and says what it netted", async () => {
  const out = mkdtempSync(join(tmpdir(), "return-rows-"));
  const trainable = [POS, "b,2023-01-08,4,Sale,r5", "c,2023-01-09,3,Sale,r6"].join("\n");
  const run = await runCliCaptured([
    "train",
    "--data",
    file(trainable),
    "--return-rows",
    "Type=Return",
    "--calibration-end",
    "2023-01-09",
    "--evaluate-only",
    "--out",
    out,
  ]);
  expect(run.code).toBe(0);
  expect(run.out).toContain("returns/cancellations: 3 rows, 22.00 in value, subtracted from spend");
  expect(run.out).not.toContain('column "Type" holds');
});
