// ISO 8601's basic format, dates and times without their separators (`20200105T233000Z`,
// `20200105T2330+0100`), as iCalendar, AWS and many loggers write them: read as ISO dates are.

import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";

const log = (dates: string[]) =>
  file(
    ["customer_id,date,amount", ...dates.map((d, i) => `${"ab"[i % 2]},${d},${i + 1}`)].join("\n"),
  );

test("basic-format times with Z, an offset, seconds or fractions are read as the day written", async () => {
  const { log: read_, quality } = await read(
    log([
      "20200105T233000Z",
      "20200106T0200Z",
      "20200107T2330+0100",
      "20200108T23-05",
      "20200109T233000.250Z",
      `"20200110T233000,5+01:00"`, // a decimal comma, quoted in the CSV
      "20200111T0830",
      "20200112", // a day without a time among them
    ]),
  );
  expect(quality.date_format).toBe("%Y-%m-%d");
  expect(quality.skipped).toEqual({});
  expect(days(read_)).toEqual([
    "a 2020-01-05 1",
    "a 2020-01-07 3",
    "a 2020-01-09 5",
    "a 2020-01-11 7",
    "b 2020-01-06 2",
    "b 2020-01-08 4",
    "b 2020-01-10 6",
    "b 2020-01-12 8",
  ]);
});

test("with --timezone they are instants read as the shop's day, as extended ISO times are", async () => {
  // 23:30 UTC is 18:30 in New York; 02:00 UTC the day after is 21:00 the same day there.
  const basic = await read(log(["20200105T233000Z", "20200106T0200Z", "20200107T2330+0100"]), {
    timezone: "America/New_York",
  });
  const extended = await read(
    log(["2020-01-05T23:30:00Z", "2020-01-06T02:00Z", "2020-01-07T23:30+01:00"]),
    { timezone: "America/New_York" },
  );
  expect(days(basic.log)).toEqual(["a 2020-01-05 1", "a 2020-01-07 3", "b 2020-01-05 2"]);
  expect(days(basic.log)).toEqual(days(extended.log));
});

test("a column of basic days alone is still %Y%m%d; an 8-digit value that is no date is unreadable", async () => {
  const days8 = await read(log(["20200105", "20200106"]));
  expect(days8.quality.date_format).toBe("%Y%m%d");
  const bad = await read(log(["20200105T2330Z", "20201305T2330Z", "20200106T2330Z"]));
  expect(days(bad.log)).toEqual(["a 2020-01-05 1", "a 2020-01-06 3"]);
  expect(bad.quality.examples["unreadable date"]).toEqual([3]);
});
