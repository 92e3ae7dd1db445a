// .NET's JSON dates (`/Date(1578268800000)/`, `/Date(1578268800000+0100)/`), as exports from
// ASP.NET and WCF services write them: no strftime pattern reads them, and the error used to ask
// for one.

import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";

// 2020-01-05T23:30:00Z and 2020-01-06T02:00:00Z: one UTC day apart, the same day in New York.
const INSTANTS = [Date.UTC(2020, 0, 5, 23, 30), Date.UTC(2020, 0, 6, 2)];
const log = (dates: string[]) =>
  file(
    ["customer_id,date,amount", ...dates.map((d, i) => `${"ab"[i % 2]},${d},${i + 1}`)].join("\n"),
  );

test(".NET JSON dates are sniffed and read as instants: the UTC day, the shop's day with --timezone", async () => {
  for (const dates of [
    INSTANTS.map((ms) => `/Date(${ms})/`),
    // As JSON text writes them, with the slashes escaped.
    INSTANTS.map((ms) => `\\/Date(${ms})\\/`),
  ]) {
    const path = log(dates);
    const utc = await read(path);
    expect(utc.quality.date_format).toBe("dotnet");
    expect(days(utc.log)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
    const shop = await read(path, { timezone: "America/New_York" });
    expect(days(shop.log)).toEqual(["a 2020-01-05 1", "b 2020-01-05 2"]);
  }
});

test("a .NET date's offset is the day where it was written, as an ISO date's is; --timezone gives the shop's", async () => {
  // 23:30 UTC is 00:30 the next day at +0100, and 01:00 UTC is 20:00 the day before at -0500.
  const path = log([`/Date(${INSTANTS[0]}+0100)/`, `/Date(${Date.UTC(2020, 0, 7, 1)}-0500)/`]);
  const { log: written, quality } = await read(path);
  expect(quality.date_format).toBe("dotnet");
  expect(days(written)).toEqual(["a 2020-01-06 1", "b 2020-01-06 2"]);
  const shop = await read(path, { timezone: "America/New_York" });
  expect(days(shop.log)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
});

test("--date-format dotnet reads them; a value that is no .NET date is an unreadable date with its line", async () => {
  const { log: read_, quality } = await read(
    log([`/Date(${INSTANTS[0]})/`, "/Date(abc)/", `/Date(${INSTANTS[1]})/`]),
    { dateFormat: "dotnet" },
  );
  expect(days(read_)).toEqual(["a 2020-01-05 1", "a 2020-01-06 3"]);
  expect(quality.skipped).toEqual({ "unreadable date": 1 });
  expect(quality.examples["unreadable date"]).toEqual([3]);
});
