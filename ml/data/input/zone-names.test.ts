import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";

// Two purchases: an evening in New York (the next day in UTC and London) and a night in UTC.
const log = (a: string, b: string) => file(`customer_id,date,amount\na,"${a}",1\nb,"${b}",2\n`);

// As other software writes dates: each was "matches none of the known layouts" (or, passed as
// --date-format with %Z, gave the UTC day without --timezone).
test("dates with a zone by name are read to the day as written, and to the shop's day with --timezone", async () => {
  for (const [a, b, format] of [
    // JavaScript's Date.prototype.toString (MongoDB's and Node's exports).
    [
      "Sun Jan 05 2020 23:30:00 GMT-0500 (Eastern Standard Time)",
      "Mon Jan 06 2020 02:00:00 GMT+0000 (Coordinated Universal Time)",
      "%a %b %d %Y %H:%M:%S %Z",
    ],
    // toUTCString and HTTP dates; RFC 2822 e-mail dates, with the zone's name in brackets too.
    ["Mon, 06 Jan 2020 04:30:00 GMT", "Mon, 06 Jan 2020 02:00:00 GMT", "%a, %d %b %Y %H:%M:%S %Z"],
    [
      "Sun, 5 Jan 2020 23:30:00 -0500 (EST)",
      "Mon, 6 Jan 2020 02:00:00 +0000",
      "%a, %d %b %Y %H:%M:%S %Z",
    ],
    // Unix date and Java's Date.toString: the zone before the year, the day padded with a space.
    ["Sun Jan  5 23:30:00 EST 2020", "Mon Jan  6 02:00:00 UTC 2020", "%a %b %d %H:%M:%S %Z %Y"],
    // A numeric date with the zone's name after it (PayPal's activity download).
    ["01/05/2020 23:30:00 EST", "01/13/2020 02:00:00 GMT", "%m/%d/%Y %H:%M:%S %Z"],
  ] as const) {
    const path = log(a, b);
    const asWritten = await read(path);
    const writtenDay = a.startsWith("Mon, 06") ? "2020-01-06" : "2020-01-05";
    const bDay = b.startsWith("01/13") ? 13 : 6;
    expect({ a, format: asWritten.quality.date_format, days: days(asWritten.log) }).toEqual({
      a,
      format,
      days: [`a ${writtenDay} 1`, `b 2020-01-${`0${bDay}`.slice(-2)} 2`],
    });
    const shop = await read(path, { timezone: "America/New_York" });
    expect({ a, days: days(shop.log) }).toEqual({
      a,
      days: ["a 2020-01-05 1", `b 2020-01-${`0${bDay - 1}`.slice(-2)} 2`],
    });
    const london = await read(path, { timezone: "Europe/London" });
    expect({ a, days: days(london.log) }).toEqual({
      a,
      days: ["a 2020-01-06 1", `b 2020-01-${`0${bDay}`.slice(-2)} 2`],
    });
  }
});

test("ctime and toLocaleString layouts are sniffed", async () => {
  for (const [a, b, format] of [
    ["Sun Jan  5 23:30:00 2020", "Thu Jan 16 02:00:00 2020", "%a %b %d %H:%M:%S %Y"],
    ["1/5/2020, 11:30:00 PM", "1/16/2020, 2:00:00 AM", "%m/%d/%Y, %I:%M:%S %p"],
    ["5.1.2020, 23:30:00", "16.1.2020, 02:00:00", "%d.%m.%Y, %H:%M:%S"],
    ["Jan 5, 2020, 11:30:00 PM", "Jan 16, 2020, 2:00:00 AM", "%b %d, %Y, %I:%M:%S %p"],
  ] as const) {
    const { log: read2, quality } = await read(log(a, b));
    expect({ a, format: quality.date_format, days: days(read2) }).toEqual({
      a,
      format,
      days: ["a 2020-01-05 1", "b 2020-01-16 2"],
    });
  }
});

// DuckDB's time zone library reads BST as Bangladesh: a British shop's 03:00 BST became the day
// before in London, silently. A name with no one offset is now refused with --timezone.
test("with --timezone, a zone name with no one offset (BST, IST) is an error naming it and its line", async () => {
  for (const [a, b] of [
    ["2020-07-05 03:00:00 BST", "2020-07-06 02:00:00 BST"],
    ["Sun Jul  5 03:00:00 BST 2020", "Mon Jul  6 02:00:00 BST 2020"],
  ]) {
    const path = log(a as string, b as string);
    expect(days((await read(path)).log)).toEqual(["a 2020-07-05 1", "b 2020-07-06 2"]);
    const error = await failure(read(path, { timezone: "Europe/London" }));
    expect(error?.message).toContain(
      `line 2: date "${a}" in column "date" gives its time zone as "BST"`,
    );
    expect(error?.message).toContain("British Summer Time +01:00 or Bangladesh +06:00");
    expect(error?.message).toContain("leave out --timezone");
  }
  // Names with one offset are read: 00:30 CEST is the evening before in London.
  const cest = log("Sun Jul 05 00:30:00 CEST 2020", "Mon Jul 06 02:00:00 CEST 2020");
  const london = await read(cest, { timezone: "Europe/London" });
  expect(days(london.log)).toEqual(["a 2020-07-04 1", "b 2020-07-06 2"]);
});

// DuckDB's TIMESTAMPTZ cast refuses "23:30-0500": every row was skipped as an unreadable date.
test("an ISO date with an offset and no seconds is read with --timezone", async () => {
  const path = log("2020-01-05 23:30 -0500", "2020-01-16T02:00+00:00");
  const shop = await read(path, { timezone: "America/New_York" });
  expect(days(shop.log)).toEqual(["a 2020-01-05 1", "b 2020-01-15 2"]);
  expect(shop.quality.skipped).toEqual({});
});

test("--date-format with %Z reads the date as written without --timezone", async () => {
  const path = log("Sun Jan  5 23:30:00 EST 2020", "Mon Jan  6 02:00:00 UTC 2020");
  const asWritten = await read(path, { dateFormat: "%a %b %d %H:%M:%S %Z %Y" });
  expect(days(asWritten.log)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
});
