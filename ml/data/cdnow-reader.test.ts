import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize } from "../features/summaries.ts";
import { BadRowError } from "./bad-rows.ts";
import { readCdnowLog } from "./cdnow-reader.ts";
import { cdnowSampleOrWarn } from "./cdnow-sample.ts";
import { dayToIsoDate } from "./transaction-log.ts";

const cdnow = cdnowSampleOrWarn("cdnow-reader.test.ts");

test.skipIf(cdnow === null)("reads the whole CDNOW sample: 2357 customers, 6919 rows", async () => {
  const { log, report } = await readCdnowLog(cdnow as string);
  expect(report).toEqual({ rowsRead: 6919, rowsKept: 6919, badRows: 0, errors: [] });
  expect(log.length).toBe(6919);
  expect(log.customerIds.length).toBe(2357);
  expect(log.customerIds[0]).toBe("1");
  // Row 1: " 00004 0001 19970101  2   29.33"
  expect(dayToIsoDate(log.day[0]!)).toBe("1997-01-01");
  expect(log.amount[0]).toBe(29.33);
  expect(log.quantity?.[0]).toBe(2);
});

function tempFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "cdnow-")), "log.txt");
  writeFileSync(path, text);
  return path;
}

const MALFORMED = [
  " 00004 0001 19970101  2   29.33", // line 1 ok
  " 00004 0001 19970231  2   29.33", // line 2: 31 February
  " 00004 0001 19970102  2   abc", // line 3: amount not a number
  " 00004 0001 19970103  2", // line 4: too few columns
  "", // line 5: blank, not a row
  " 00004 0002 19970104  1   -3", // line 6: negative amount
  " 00004 xx 19970104  1   3", // line 7: bad id
  " 00005 0002 19970105  1   7.5\r", // line 8 ok (CRLF)
].join("\n");

test("skips malformed rows and reports each with its line number and field", async () => {
  const { log, report } = await readCdnowLog(tempFile(MALFORMED));
  expect(log.length).toBe(2);
  expect(log.customerIds).toEqual(["1", "2"]);
  expect(report.rowsRead).toBe(7);
  expect(report.rowsKept).toBe(2);
  expect(report.badRows).toBe(5);
  expect(report.errors.map((e) => [e.line, e.field])).toEqual([
    [2, "date"],
    [3, "amount"],
    [4, undefined],
    [6, "amount"],
    [7, "sample id"],
  ]);
});

test("onBadRow fail throws naming the line and field", async () => {
  const path = tempFile(MALFORMED);
  const error = await readCdnowLog(path, { onBadRow: "fail" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BadRowError);
  expect((error as BadRowError).line).toBe(2);
  expect((error as BadRowError).message).toContain('line 2, field "date"');
});

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

test("the 4-column master layout (with and without a header) reads to the 5-column layout's summaries", async () => {
  const window = {
    calibrationEnd: "1997-12-31",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
  } as const;
  const five = await readCdnowLog(fixture("cdnow-sample-layout.txt"), { onBadRow: "fail" });
  expect(five.report.rowsRead).toBe(65);
  const want = summarize(five.log, window);
  expect(want.n).toBeGreaterThan(10);
  for (const name of ["cdnow-master-layout.txt", "cdnow-master-layout-header.csv"]) {
    const four = await readCdnowLog(fixture(name), { onBadRow: "fail" });
    expect(four.report).toEqual(five.report);
    expect(four.log.customerIds).toEqual(five.log.customerIds);
    expect(summarize(four.log, window)).toEqual(want);
  }
});

test("a line that fits neither layout names both", async () => {
  const { report } = await readCdnowLog(tempFile("1 19970101 2\n"));
  expect(report.errors[0]?.message).toContain("expected 4 (id, YYYYMMDD, CDs, dollars) or 5");
});
