import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { tableNameOf } from "./file-query.ts";
import { InputError } from "./input-error.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

// 2020-01-05T23:30:00Z and 2020-01-06T02:00:00Z: one UTC day apart, the same day in New York.
const INSTANTS = [Date.UTC(2020, 0, 5, 23, 30), Date.UTC(2020, 0, 6, 2)];
const log = (dates: (string | number)[]) =>
  file(
    ["customer_id,date,amount", ...dates.map((d, i) => `${"ab"[i % 2]},${d},${i + 1}`)].join("\n"),
  );

// Microseconds are what GA4's BigQuery export writes (event_timestamp), nanoseconds Go's UnixNano
// and pandas' int64 datetimes: before, both stopped the read with a hint whose every format
// (epoch, epoch_ms, …) read none of the values.
test("Unix seconds, milli-, micro- and nanoseconds are sniffed and read as instants in the shop's time zone", async () => {
  for (const [dates, format] of [
    [INSTANTS.map((ms) => ms / 1000), "epoch"],
    [INSTANTS.map((ms) => `${ms / 1000}.250`), "epoch"],
    [INSTANTS, "epoch_ms"],
    [INSTANTS.map((ms) => `${ms}123`), "epoch_us"],
    [INSTANTS.map((ms) => `${ms}123456`), "epoch_ns"],
  ] as const) {
    const path = log([...dates]);
    const utc = await read(path);
    expect(utc.quality.date_format).toBe(format);
    expect(days(utc.log)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
    expect(dataQualityLines(utc.quality).join("\n")).toContain('column "date" holds Unix times');
    const shop = await read(path, { timezone: "America/New_York" });
    expect(days(shop.log)).toEqual(["a 2020-01-05 1", "b 2020-01-05 2"]);
    const given = await read(path, { dateFormat: format });
    expect(days(given.log)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
  }
});

test("8-digit numbers are still %Y%m%d, not Unix time", async () => {
  const { log: read8, quality } = await read(log(["20200105", "20200106"]));
  expect(quality.date_format).toBe("%Y%m%d");
  expect(days(read8)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
});

test("spreadsheet serial days are an error naming both date systems; --date-format excel reads them", async () => {
  const path = log([43835, 43836.75]); // 2020-01-05 and 2020-01-06 18:00 in Excel's 1900 system
  const error = await failure(read(path));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('line 2: date "43835" in column "date" is a bare number');
  expect(error?.message).toContain("--date-format excel");
  expect(error?.message).toContain("excel1904");
  expect(days((await read(path, { dateFormat: "excel" })).log)).toEqual([
    "a 2020-01-05 1",
    "b 2020-01-06 2",
  ]);
  expect(days((await read(path, { dateFormat: "excel1904" })).log)).toEqual([
    "a 2024-01-06 1",
    "b 2024-01-07 2",
  ]);
});

// European Excel saves a date cell formatted as a number with a decimal comma (`43835,5`, in a
// `;` file), and Java's Double.toString (Spark's CSV of a double column) writes Unix seconds as
// `1.5782688E9`: before, both were "matches none of the known layouts" with a strftime example,
// and `--date-format excel` skipped every row as an unreadable date, so no option read them.
test("serial days with a decimal comma and Unix times in scientific notation are read", async () => {
  const comma = file("customer_id;date;amount\na;43835,5;1\nb;43836,75;2\n");
  const error = await failure(read(comma));
  expect(error?.message).toContain('line 2: date "43835,5" in column "date" is a bare number');
  expect(error?.message).toContain("--date-format excel");
  const excel = await read(comma, { dateFormat: "excel" });
  expect(days(excel.log)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
  const seconds = INSTANTS.map((ms) => (ms / 1000).toExponential(7).replace("e+", "E"));
  const sniffed = await read(log(seconds));
  expect(sniffed.quality.date_format).toBe("epoch");
  expect(days(sniffed.log)).toEqual(["a 2020-01-05 1", "b 2020-01-06 2"]);
});

test("numbers out of any date's range are unreadable dates with their line, never an error", async () => {
  const path = log([
    INSTANTS[0]! / 1000,
    "1e308",
    "-1e308",
    "99999999999999999",
    "nan",
    "12\u0000",
  ]);
  const { log: read6, quality } = await read(path, { dateFormat: "epoch" });
  expect(days(read6)).toEqual(["a 2020-01-05 1"]);
  expect(quality.skipped).toEqual({ "unreadable date": 5 });
  expect(quality.examples["unreadable date"]).toEqual([3, 4, 5, 6, 7]);
  // Read as serial days, no row is a date at all: the error says so and what else to pass.
  const excel = await failure(read(path, { dateFormat: "excel" }));
  expect(excel?.message).toContain('every row is skipped: unreadable date (column "date")');
  expect(excel?.message).toContain("epoch");
  // Sniffed, the hostile values spoil the range: the column is an error naming what to pass.
  const error = await failure(read(log([INSTANTS[0]! / 1000, "99999999999999999"])));
  expect(error?.message).toContain("--date-format epoch");
});

test("day numbers counted from a start (dunnhumby's DAY) read with --date-format 'days since …'", async () => {
  const path = log([1, 2, 711]);
  const error = await failure(read(path));
  expect(error?.message).toContain("is a bare number");
  expect(error?.message).toContain("'days since YYYY-MM-DD'");
  const { log: read3, quality } = await read(path, { dateFormat: "days since 2020-01-01" });
  expect(days(read3)).toEqual(["a 2020-01-02 1", "a 2021-12-12 3", "b 2020-01-03 2"]);
  expect(quality.date_format).toBe("days since 2020-01-01");
  const typo = await failure(read(path, { dateFormat: "days since 2020-02-30" }));
  expect(typo).toBeInstanceOf(InputError);
  expect(typo?.message).toContain("not a day to count from");
});

// A --date-format that reads none of the dates: the hint was a fixed day-first example, whatever
// the file held; now it is the layout the sniffer finds.
test("a --date-format that reads no date: the error names the layout the dates are in", async () => {
  const path = log(["3/19/2022 3:31", "8/21/2023 14:05", "12/13/2023 9:00"]);
  const error = await failure(read(path, { dateFormat: "%d/%m/%Y %H:%M" }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('every row is skipped: unreadable date (column "date")');
  expect(error?.message).toContain(
    "--date-format '%d/%m/%Y %H:%M' reads none of the dates; they read as '%m/%d/%Y %H:%M': pass --date-format '%m/%d/%Y %H:%M', or leave it out",
  );
  // Dates no layout reads keep the general hint.
  const none = await failure(read(log(["soon", "later"]), { dateFormat: "%Y-%m-%d" }));
  expect(none?.message).toContain("pass --date-format with the column's strftime pattern");
});

// A UK export read with the US layout: days 1-12 read (as the wrong days), the rest unreadable,
// and it trained on the minority with day and month swapped, exit 0.
test("a --date-format that leaves most dates unreadable, where another layout reads them, is an error naming both", async () => {
  const uk = Array.from(
    { length: 28 },
    (_, i) => `${String(1 + (i % 28)).padStart(2, "0")}/0${1 + (i % 9)}/2022`,
  );
  const error = await failure(read(log(uk), { dateFormat: "%m/%d/%Y" }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toMatch(
    /^--date-format '%m\/%d\/%Y' leaves 16 dates unreadable and reads 12, e\.g\. "13\/04\/2022" \(.*line 14\); the dates read as '%d\/%m\/%Y'/,
  );
  expect((error as InputError).hint).toBe(
    "pass --date-format '%d/%m/%Y', or leave it out to have it found",
  );
  expect((await read(log(uk), { dateFormat: "%d/%m/%Y" })).quality.rows_kept).toBe(28);
  // A few dates no layout reads, under the right --date-format: skipped, as before.
  const few = await read(log([...uk, "soon", "later"]), { dateFormat: "%d/%m/%Y" });
  expect(few.quality.skipped).toEqual({ "unreadable date": 2 });
});

// Most dates in a layout the sniffer does not know: the model was fitted on the few it read, and
// the account said so only as one count among others.
test("when more rows are skipped than kept, the account warns, naming the share and the main reason", async () => {
  const mostly = log(["2020-01-05", "2020-01-09", "soon", "later", "never", "tbd", "n/a?"]);
  const { quality } = await read(mostly);
  expect(quality.rows_kept).toBe(2);
  expect(dataQualityLines(quality)).toContain(
    "  WARNING: most rows were skipped (5 of 7, 71%; mostly unreadable date): only the rest is used; check the column options, or pass --on-bad-row fail to stop at the first",
  );
  const few = await read(log(["2020-01-05", "2020-01-09", "2020-01-10", "soon"]));
  expect(dataQualityLines(few.quality).join("\n")).not.toContain("most rows were skipped");
});

// Instacart's orders have no dates: days_since_prior_order (0–30, empty on a first order) and
// order_hour_of_day. Read as 'days since' a start, as the error used to offer, every order fell in
// one month and a model was trained on it.
test("small counts (days since the previous order, hours) are no dates: the error says so and offers no day numbers", async () => {
  const path = log(["", "7.0", "30.0", "1.0", "0.0", "12.0"]);
  const error = await failure(read(path));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain(
    'line 3: date "7.0" in column "date" is a bare number, and the column\'s numbers (0 to 30) are a count or a part of a date',
  );
  // Not the column read as day numbers: only once added up per customer.
  expect(error?.message).not.toContain("pass --date-format 'days since");
  expect(error?.message).toContain(
    "pass --date-col naming the column that holds each purchase's date; days since a customer's previous order " +
      "(Instacart's days_since_prior_order) are no dates: added up per customer they are day numbers",
  );
  // How to add them up: a --query over the file (file-query.ts), which then reads as day numbers.
  expect(error?.message).toContain(
    `--query 'SELECT *, sum(coalesce(CAST("date" AS INTEGER), 0)) OVER (PARTITION BY <customer column> ORDER BY`,
  );
  const gaps = file("user_id,order_number,gap\n7,1,\n7,2,12\n7,3,0\n8,1,\n8,2,30\n");
  const summed = await readTransactionLog({
    source: {
      kind: "query",
      path: gaps,
      query: `SELECT *, sum(coalesce(CAST("gap" AS INTEGER), 0)) OVER (PARTITION BY user_id ORDER BY CAST(order_number AS INTEGER)) AS day FROM ${tableNameOf(gaps)}`,
    },
    columns: { customerId: "user_id", date: "day" },
    dateFormat: "days since 2017-01-01",
    noAmount: true,
  });
  expect(days(summed.log)).toEqual([
    "7 2017-01-01 0",
    "7 2017-01-13 0",
    "8 2017-01-01 0",
    "8 2017-01-31 0",
  ]);
  // Summed as offered, Instacart's capped gaps would shorten every longer one to 30 days, silently.
  expect(error?.message).toContain(
    "a column whose largest value is 30 (Instacart's) writes 30 for any gap of 30 days or more: its sums shorten the longer gaps",
  );
  // Read so anyway (an explicit --date-format), the month they fill is named.
  const explicit = await read(path, { dateFormat: "days since 2017-01-01" });
  expect(dataQualityLines(explicit.quality).join("\n")).toContain(
    "WARNING: the dates read as 'days since 2017-01-01' span 30 days (2017-01-01 to 2017-01-31): if the column counts days since a customer's previous order",
  );
  // Nor are such columns guessed as the date when the one named is not there.
  const instacart = file(
    "order_id,user_id,order_number,order_dow,order_hour_of_day,days_since_prior_order\n1,7,1,2,8,\n",
  );
  const columns = { customerId: "user_id", date: "date" };
  const missing = await failure(read(instacart, { columns, noAmount: true }));
  expect(missing?.message).toContain('there is no column "date"');
  expect(missing?.message).not.toContain("--date-col order_hour_of_day");
  expect(missing?.message).not.toContain("--date-col days_since_prior_order");
  // dunnhumby's TRANS_TIME (hhmm) beside its DAY: clock times, not day numbers from a start.
  const clock = await failure(read(log(["1631", "900", "2359", "15", "1200", "745"])));
  expect(clock?.message).toContain("numbers (15 to 2359) are clock times written hhmm");
  expect(clock?.message).not.toContain("days since YYYY");
});

// Dates written out: Excel's long date saved as CSV, site builders' "Jan 5, 2023", JavaScript's
// toDateString. None matched a known layout: every export needed --date-format.
test("dates written out in words are sniffed; layouts that read every value as the same day are one", async () => {
  for (const [a, b, format] of [
    ["Jan 5, 2023", "Feb 17, 2023", "%b %d, %Y"],
    ["January 5, 2023", "February 17, 2023", "%B %d, %Y"],
    ["5 January 2023", "17 February 2023", "%d %B %Y"],
    ["Thursday, January 5, 2023", "Friday, February 17, 2023", "%A, %B %d, %Y"],
    ["Jan 5, 2023 9:05 AM", "Feb 17, 2023 11:30 PM", "%b %d, %Y %I:%M %p"],
    ["Thu Jan 05 2023", "Fri Feb 17 2023", "%a %b %d %Y"],
  ] as [string, string, string][]) {
    const path = file(`customer_id,date,amount\na,"${a}",1\nb,"${b}",1\n`);
    const { log: read_, quality } = await read(path);
    expect({ a, format: quality.date_format, days: days(read_) }).toEqual({
      a,
      format,
      days: ["a 2023-01-05 1", "b 2023-02-17 1"],
    });
  }
  // "May" is both its short and its long name: %b and %B read the same days, so no ambiguity.
  const may = await read(file('customer_id,date,amount\na,"May 5, 2023",1\nb,"May 17, 2023",1\n'));
  expect(days(may.log)).toEqual(["a 2023-05-05 1", "b 2023-05-17 1"]);
});

// Exports joined in one read, one of them re-saved by a spreadsheet (ISO dates became 01/15/2020),
// or a platform that changed its layout: every layout was tied or one won, and the other's lines
// were skipped as unreadable dates or the column called ambiguous.
test("a column written in two layouts is read in both, each value by the one that reads it", async () => {
  const lines = ["customer_id,date,amount"];
  for (let d = 1; d <= 20; d++) lines.push(`a,2020-01-${String(d).padStart(2, "0")},1`);
  for (let d = 1; d <= 20; d++) lines.push(`b,02/${String(d).padStart(2, "0")}/2020,1`);
  const { log: both, quality } = await read(file(lines.join("\n")));
  expect(quality.date_format).toBe("%Y-%m-%d or %m/%d/%Y");
  expect(quality.skipped).toEqual({});
  expect(days(both)).toContain("a 2020-01-20 1");
  expect(days(both)).toContain("b 2020-02-03 1"); // month first, as 02/13/2020 says
  // The layout can be given so too.
  const given = await read(file("customer_id,date,amount\na,2020-01-05,1\nb,05.01.2020,1\n"), {
    dateFormat: "%Y-%m-%d or %d.%m.%Y",
  });
  expect(days(given.log)).toEqual(["a 2020-01-05 1", "b 2020-01-05 1"]);
});

// From 1,000 sampled values each distinct value is parsed once and counted as often as it occurs
// (order lines repeat their order's time): the layout reading more lines comes first, however
// few distinct values it has.
test("a large sample's layouts are ranked by the lines they read, not by distinct values", async () => {
  const lines = ["customer_id,date,amount"];
  // 1,800 order lines on 3 days, day first; 300 distinct days month first, each on one line.
  for (let i = 0; i < 1800; i++) lines.push(`a${i % 90},${13 + (i % 3)}.01.2020,1`);
  for (let i = 0; i < 300; i++)
    lines.push(`b${i},${1 + (i % 12)}-${13 + (i % 15)}-${2000 + Math.floor(i / 12)},1`);
  const { log: read_, quality } = await read(file(lines.join("\n")));
  expect(quality.date_format).toBe("%d.%m.%Y or %m-%d-%Y");
  expect(quality.skipped).toEqual({});
  expect(days(read_)).toEqual(expect.arrayContaining(["a0 2020-01-13 20", "b0 2000-01-13 1"]));
});

test("values without a time follow the day order of those with one (12/31/2020 14:05 and 01/02/2021)", async () => {
  const lines = ["customer_id,date,amount", "a,12/31/2020 14:05,1", "a,01/15/2021 09:00,1"];
  for (let i = 0; i < 4; i++) lines.push(`b,01/0${i + 2}/2021 10:00,1`);
  lines.push("c,01/02/2021,1", "c,03/04/2021,1");
  const { log: read_, quality } = await read(file(lines.join("\n")));
  expect(quality.date_format).toBe("%m/%d/%Y %H:%M or %m/%d/%Y");
  expect(days(read_)).toEqual(expect.arrayContaining(["c 2021-01-02 1", "c 2021-03-04 1"]));
});

test("a second layout that would read a value as another day is not added: its lines stay unreadable", async () => {
  // Month first (02/13/2020 says so), and two lines written day first: 01/02 would be read both
  // ways, so %d/%m/%Y is not combined with %m/%d/%Y, and 25/01/2020 is not guessed.
  const lines = ["customer_id,date,amount"];
  for (let d = 1; d <= 20; d++) lines.push(`a,02/${String(d).padStart(2, "0")}/2020,1`);
  lines.push("b,25/01/2020,1", "b,31/01/2020,1");
  const { quality } = await read(file(lines.join("\n")));
  expect(quality.date_format).toBe("%m/%d/%Y");
  expect(Object.values(quality.skipped)).toEqual([2]);
  // Every value read by both as different days: still an error naming both.
  const error = await failure(
    read(file("customer_id,date,amount\na,01/02/2020,1\nb,03/04/2020,1\n")),
  );
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('column "date" is ambiguous');
});

test("a second layout that starts past the sniffer's sample (a long first export) is found among the unread dates", async () => {
  const lines = ["customer_id,date,amount"];
  for (let i = 0; i < 25_000; i++)
    lines.push(`a${i % 50},2020-01-${String(1 + (i % 28)).padStart(2, "0")},1`);
  for (let d = 1; d <= 28; d++) lines.push(`b,02/${String(d).padStart(2, "0")}/2020,1`);
  lines.push("c,n/a,1"); // line 25,030: no layout reads it
  const { log: read_, quality } = await read(file(lines.join("\n")));
  expect(quality.date_format).toBe("%Y-%m-%d or %m/%d/%Y");
  expect(quality.skipped).toEqual({ "unreadable date": 1 });
  expect(quality.examples["unreadable date"]).toEqual([25_030]);
  expect(days(read_)).toContain("b 2020-02-13 1");
});

// Long dates as spreadsheets in other languages write them. DuckDB's strptime knows English names
// only: every row was "matches none of the known layouts".
test("month names in German, French, Spanish, Italian, Portuguese and Dutch are read (%N)", async () => {
  for (const [a, b, format] of [
    ["5. Januar 2023", "17. März 2023", "%d. %N %Y"],
    ["5 janv. 2023", "17 mars 2023", "%d %N %Y"],
    ["1er janvier 2023 09:30", "17 mars 2023 18:05", "%d %N %Y %H:%M"],
    ["5 de enero de 2023", "17 de marzo de 2023", "%d %N %Y"],
    ["5 gennaio 2023", "17 marzo 2023", "%d %N %Y"],
    ["5 de janeiro de 2023", "17 de março de 2023", "%d %N %Y"],
    ["5 januari 2023", "17 maart 2023", "%d %N %Y"],
    ["05-Jän-2023", "17-Mär-2023", "%d-%N-%Y"],
  ] as [string, string, string][]) {
    const path = file(`customer_id,date,amount\na,"${a}",1\nb,"${b}",1\n`);
    const { log: read_, quality } = await read(path);
    const expected = a.startsWith("1er") ? "a 2023-01-01 1" : "a 2023-01-05 1";
    expect({ a, format: quality.date_format, days: days(read_) }).toEqual({
      a,
      format,
      days: [expected, "b 2023-03-17 1"],
    });
  }
  // A weekday name before the date, in any of those languages, is left out.
  for (const [a, b, format] of [
    ["Donnerstag, 5. Januar 2023", "Freitag, 17. März 2023", "%d. %N %Y"],
    ["Do., 5. Jan. 2023", "Fr., 17. Mär. 2023", "%d. %N %Y"],
    ["jeudi 5 janvier 2023", "vendredi 17 mars 2023", "%d %N %Y"],
    ["jeu. 5 janv. 2023", "ven. 17 mars 2023", "%d %N %Y"],
    ["jueves, 5 de enero de 2023", "viernes, 17 de marzo de 2023", "%d %N %Y"],
    ["giovedì 5 gennaio 2023", "venerdì 17 marzo 2023", "%d %N %Y"],
    ["quinta-feira, 5 de janeiro de 2023", "sexta-feira, 17 de março de 2023", "%d %N %Y"],
    ["donderdag 5 januari 2023", "vrijdag 17 maart 2023", "%d %N %Y"],
  ] as [string, string, string][]) {
    const { log: read_, quality } = await read(
      file(`customer_id,date,amount\na,"${a}",1\nb,"${b}",1\n`),
    );
    expect({ a, format: quality.date_format, days: days(read_) }).toEqual({
      a,
      format,
      days: ["a 2023-01-05 1", "b 2023-03-17 1"],
    });
  }
  // "Mar." is March, never the French, Spanish or Italian Tuesday left out.
  const march = await read(
    file('customer_id,date,amount\na,"Mar. 5, 2023",1\nb,"Mar. 17, 2023",1\n'),
  );
  expect(days(march.log)).toEqual(["a 2023-03-05 1", "b 2023-03-17 1"]);
  // English names keep their own layouts (no rewriting), and --date-format takes %N.
  const english = await read(file('customer_id,date,amount\na,"5 January 2023",1\n'));
  expect(english.quality.date_format).toBe("%d %B %Y");
  const given = await read(
    file('customer_id,date,amount\na,"5 Januar 2023",1\nb,"6 Jan 2023",1\n'),
    {
      dateFormat: "%d %N %Y",
    },
  );
  expect(days(given.log)).toEqual(["a 2023-01-05 1", "b 2023-01-06 1"]);
});

// Excel's default m/d/yy h:mm export and UK dd/mm/yy: %Y read "24" as the year 0024, so it tied
// with %y and the column was called ambiguous, suggesting the layout that skipped every row.
test("two-digit years are read by %y; a %Y layout never reads them as a year before 1000", async () => {
  for (const [a, b, format, first] of [
    ["1/1/24 4:50", "12/31/24 23:10", "%m/%d/%y %H:%M", "a 2024-01-01 1"],
    ["01/01/24", "31/12/24", "%d/%m/%y", "a 2024-01-01 1"],
    ["1/1/2024", "12/31/2024", "%m/%d/%Y", "a 2024-01-01 1"],
  ] as [string, string, string, string][]) {
    const { log: read_, quality } = await read(log([a, b]));
    expect({ a, format: quality.date_format, days: days(read_) }).toEqual({
      a,
      format,
      days: [first, "b 2024-12-31 2"],
    });
  }
  // Days all <= 12: still ambiguous, between the two-digit-year layouts only.
  const error = await failure(read(log(["01/02/24", "03/04/24"])));
  expect(error?.message).toContain(
    "read as %m/%d/%y or as %d/%m/%y or as %y/%m/%d, each a different day",
  );
  expect(error?.message).not.toContain("%Y");
});

// Japanese and Korean short dates put a two-digit year first (22/01/20 is 2022-01-20). Every such
// value of 2001–2031 also reads as %d/%m/%y, and was read so: a log of 2022–2023 became 2001–2026.
test("two-digit years first (yy/mm/dd, yy.mm.dd) are read; of layouts that tie, the one reading no day after today", async () => {
  const today = "2024-12-31";
  const span = Array.from({ length: 60 }, (_, i) => new Date(Date.UTC(2022, 0, 1 + 9 * i)));
  const yy = (d: Date, order: "ymd" | "dmy", sep: string) => {
    const [y, m, dd] = d.toISOString().slice(2, 10).split("-") as [string, string, string];
    return (order === "ymd" ? [y, m, dd] : [dd, m, y]).join(sep);
  };
  const truth = span.map((d, i) => `${"ab"[i % 2]} ${d.toISOString().slice(0, 10)} ${i + 1}`);
  for (const [order, sep, format] of [
    ["ymd", "/", "%y/%m/%d"],
    ["ymd", ".", "%y.%m.%d"],
    ["dmy", ".", "%d.%m.%y"], // days up to 31: as %y.%m.%d, years up to 2031
    ["dmy", "/", "%d/%m/%y"],
  ] as const) {
    const { log: read_, quality } = await read(log(span.map((d) => yy(d, order, sep))), { today });
    expect({ format: quality.date_format, days: days(read_).sort() }).toEqual({
      format,
      days: [...truth].sort(),
    });
  }
  // Both readings before today (days and years all <= 24): still ambiguous, an error naming both.
  const early = ["22.01.05", "22.02.10", "23.03.15", "23.04.20"];
  const error = await failure(read(log(early), { today }));
  expect(error?.message).toContain("read as %d.%m.%y or as %y.%m.%d, each a different day");
});

test("a --date-format DuckDB cannot read is an input error naming it, not a database error", async () => {
  const path = log(["2020-01-05", "2020-01-06"]);
  for (const [format, problem] of [
    ["%Q-%m", "%Q"],
    ["%", "Trailing format character"],
    ["%Y-%m-%d or %d.%m.%", "Trailing format character"],
  ]) {
    const error = await failure(read(path, { dateFormat: format }));
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(`--date-format "${format}"`);
    expect(error?.message).toContain(problem);
    expect(error?.message).toContain("'%d/%m/%Y %H:%M'");
  }
});

// Databases' default text layouts were refused ("matches none of the known layouts"), and a
// 14-digit yyyymmddHHMMSS was called a bare number with a hint of '%Y%m%d', which then read nothing.
test("database layouts are sniffed: SQL Server's style 100, Oracle's TIMESTAMP, yyyymmddHHMMSS, d-m-yy", async () => {
  const today = "2024-12-31";
  for (const [a, b, format] of [
    ["Jan 02 2022 01:41PM", "Dec 31 2022 11:50AM", "%b %d %Y %I:%M%p"],
    ["Jan  2 2022  1:41PM", "Dec 31 2022 11:50AM", "%b %d %Y %I:%M%p"],
    ["02-JAN-22 01.41.00.000000 PM", "31-DEC-22 11.50.00.000000 AM", "%d-%b-%y %I.%M.%S.%n %p"],
    [
      "02-JAN-22 01.41.00.000000000 PM",
      "31-DEC-22 11.50.00.000000000 AM",
      "%d-%b-%y %I.%M.%S.%n %p",
    ],
    ["20220102134100", "20221231115000", "%Y%m%d%H%M%S"],
    ["202201021341", "202212311150", "%Y%m%d%H%M"],
    ["2-1-22", "31-12-22", "%d-%m-%y"],
    ["1-2-22", "12-31-22", "%m-%d-%y"],
  ] as [string, string, string][]) {
    const { log: read_, quality } = await read(log([a, b]), { today });
    expect({ a, format: quality.date_format, days: days(read_) }).toEqual({
      a,
      format,
      days: ["a 2022-01-02 1", "b 2022-12-31 2"],
    });
  }
  // d-m-yy and m-d-yy (and yy-m-d) with every day <= 12 and each before today: ambiguous, named.
  const error = await failure(read(log(["2-1-22", "3-4-22"]), { today }));
  expect(error?.message).toContain("read as %m-%d-%y or as %d-%m-%y");
});

// From 1,000 distinct unread values the layouts are tried on a probe of them first, and those
// that cannot reach the best are not parsed on every value (a 2,000,000-row export: 2.9 s → 0.6 s).
// The answer is the one counting every layout on every value gave.
test("many distinct datetimes with a few unreadable values, and two layouts of many distinct values each", async () => {
  const at = (i: number) => new Date(Date.UTC(2021, 0, 1) + i * 3_600_000 * 7 + i * 60_000);
  const two = (n: number) => String(n).padStart(2, "0");
  const iso = (d: Date) =>
    `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:00`;
  const lines = ["customer_id,date,amount"];
  for (let i = 0; i < 3000; i++)
    lines.push(`a${i % 70},${i % 500 === 7 ? "not a date" : iso(at(i))},1`);
  const { quality } = await read(file(lines.join("\n")));
  expect(quality.date_format).toBe("%Y-%m-%d %H:%M:%S");
  expect(quality.skipped).toEqual({ "unreadable date": 6 });

  const dotted = (d: Date) =>
    `${two(d.getUTCDate())}.${two(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
  const slashed = (d: Date) =>
    `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
  const mixed = ["customer_id,date,amount"];
  // Interleaved, so any probe of the distinct values holds both layouts.
  for (let i = 0; i < 2600; i++) {
    mixed.push(`c${i % 90},${i % 5 < 3 ? dotted(at(i)) : slashed(at(i + 2600))},1`);
  }
  const both = await read(file(mixed.join("\n")));
  expect(both.quality.date_format).toBe("%d.%m.%Y %H:%M or %m/%d/%Y %H:%M");
  expect(both.quality.skipped).toEqual({});
});
