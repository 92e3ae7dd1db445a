// Customer ids that name one customer but hold characters no one sees: a tab a spreadsheet cell
// kept, a zero-width space pasted from a web page, the byte order mark of an export appended to
// another. Read as written, each such id was a second customer beside the first.

import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import {
  purchaseDays as days,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

/** Two customers' purchases, the same days and amounts in each log. */
const LINES = [
  ["12814", "2020-01-01", "5"],
  ["12814", "2020-02-01", "7"],
  ["ann@shop.com", "2020-01-05", "3"],
  ["12814", "2020-03-01", "2"],
  ["ann@shop.com", "2020-03-09", "4"],
];

const log = (ids: string[]) =>
  `customer_id,date,amount\n${LINES.map(([, d, a], i) => `"${ids[i]}",${d},${a}`).join("\n")}\n`;

test("ids with a tab, a zero-width space, a byte order mark or a direction mark read as the customer they name, and said so", async () => {
  const clean = await read(file(log(LINES.map(([id]) => id as string))));
  const unseen = await read(
    file(log(["12814", "12814\t", "\u200bann@shop.com", "\ufeff12814", "ann@shop.com\u200e\r"])),
  );
  expect(unseen.log.customerIds.length).toBe(2);
  expect(days(unseen.log)).toEqual(days(clean.log));
  expect(unseen.quality.unseen_id_characters).toEqual({
    lines: 4,
    ids: 2,
    example: ["12814\t", "12814"],
  });
  expect(dataQualityLines(unseen.quality)).toContain(
    '  customer ids holding characters no one sees (tabs, zero-width spaces, byte order marks) read without them: 4 lines, 2 customers (e.g. "12814\\t" read as "12814")',
  );
  const report = dataQualityTables(unseen.quality)[0]?.rows ?? [];
  expect(report.find((r) => r[0] === "ids with characters no one sees")?.[1]).toContain("4 lines");
  expect(clean.quality.unseen_id_characters).toBeUndefined();
});

test("ASCII blanks alone around an id (a tab, line end, vertical tab or form feed, first or last) are found too", async () => {
  // Every such id is pure ASCII: the cheap test in front of the pattern (holdsUnseenSql) must
  // still let each through to it.
  const clean = await read(file(log(LINES.map(([id]) => id as string))));
  const ids = ["\t12814", "12814\u000b", "ann@shop.com\f", "\n12814", "\rann@shop.com"];
  const unseen = await read(file(log(ids)));
  expect(unseen.log.customerIds.length).toBe(2);
  expect(days(unseen.log)).toEqual(days(clean.log));
  expect(unseen.quality.unseen_id_characters).toMatchObject({ lines: 5, ids: 2 });
});

test("an id of only such characters is a missing id; a tab or a space inside an id stays as written", async () => {
  const { log: read_, quality } = await read(
    file(log(["12814", "\u200b\t", "ann\tb@shop.com", "AB 12", "ann@shop.com"])),
  );
  expect(quality.skipped).toEqual({ "missing customer id": 1 });
  expect([...read_.customerIds].sort()).toEqual([
    "12814",
    "AB 12",
    "ann\tb@shop.com",
    "ann@shop.com",
  ]);
  expect(quality.unseen_id_characters).toBeUndefined();
});

test("a float export's ids with a tab after them are still read as whole numbers", async () => {
  const { log: floats, quality } = await read(
    file(log(["12814.0\t", "12814.0", "7.0", "12814.0", "\ufeff7.0"])),
  );
  expect([...floats.customerIds].sort()).toEqual(["12814", "7"]);
  expect(quality.float_written_ids).toBeDefined();
  expect(quality.mixed_float_ids).toBeUndefined();
});
