// Customer ids written with thousands separators in one export ("12,345": a spreadsheet's number
// format) and without in another ("12345"). Read as written, every customer in both was two.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import { tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

const HEADER = "customer_id,date,amount";

test("a folder whose exports write ids with and without thousands separators reads one customer each, and says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "grouped-ids-"));
  const ids = Array.from({ length: 40 }, (_, i) => 1000 + i * 997);
  const month = (m: number, grouped: boolean) =>
    ids.map((id, i) => {
      const written = grouped ? `"${id.toLocaleString("en-US")}"` : String(id);
      return `${written},2020-0${m}-${String(1 + (i % 28)).padStart(2, "0")},5`;
    });
  writeFileSync(join(dir, "2020-01.csv"), [HEADER, ...month(1, false)].join("\n"));
  writeFileSync(join(dir, "2020-02.csv"), [HEADER, ...month(2, true), "7,2020-02-03,1"].join("\n"));
  const { log, quality } = await readTransactionLog({
    source: { kind: "csv", path: dir },
    columns: { customerId: "customer_id", date: "date", amount: "amount" },
  });
  expect(log.customerIds.length).toBe(41);
  expect(log.customerIds).toContain("39883");
  expect(log.customerIds).not.toContain("39,883");
  expect(log.length).toBe(81);
  expect(quality.grouped_ids).toEqual({ ids: 40, twins: 40, example: ["1,000", "1000"] });
  expect(dataQualityLines(quality)).toContain(
    '  customer ids written with thousands separators (e.g. "1,000") read without them ("1000"), as other lines write them: 40 ids, 40 of them written both ways',
  );
  const report = dataQualityTables(quality)[0]?.rows ?? [];
  expect(report.find((r) => r[0] === "ids with thousands separators")?.[1]).toContain("40 ids");
  rmSync(dir, { recursive: true, force: true });
});

test("spaces, no-break spaces and dots as separators read alike; an id written only so reads as the others", async () => {
  const lines = [
    HEADER,
    "12345,2020-01-01,5",
    "12 345,2020-01-02,5",
    "12\u00a0345,2020-01-03,5",
    "1.234.567,2020-01-04,5",
    "1234567,2020-01-05,5",
    // Written with a space only, like the others: read without it too.
    "98 765,2020-01-06,5",
  ];
  const { log, quality } = await read(file(`${lines.join("\n")}\n`));
  expect([...log.customerIds].sort()).toEqual(["12345", "1234567", "98765"]);
  expect(log.length).toBe(6);
  expect(quality.grouped_ids?.twins).toBe(3);
});

test("ids left as written: none written both ways, a dot that is no grouping, a zero-led group", async () => {
  const only = await read(file(`${HEADER}\n"12,345",2020-01-01,5\n"67,890",2020-01-02,5\n`));
  expect([...only.log.customerIds].sort()).toEqual(["12,345", "67,890"]);
  expect(only.quality.grouped_ids).toBeUndefined();

  // "1.5" says the dots of this log are no thousands separators: 1.234 is not 1234.
  const dotted = await read(
    file(`${HEADER}\n1.234,2020-01-01,5\n1234,2020-01-02,5\n1.5,2020-01-03,5\n`),
  );
  expect([...dotted.log.customerIds].sort()).toEqual(["1.234", "1.5", "1234"]);
  expect(dotted.quality.grouped_ids).toBeUndefined();

  const zeroLed = await read(file(`${HEADER}\n012 345,2020-01-01,5\n12345,2020-01-02,5\n`));
  expect([...zeroLed.log.customerIds].sort()).toEqual(["012 345", "12345"]);
});
