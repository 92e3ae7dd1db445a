import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  LOG_COLUMNS,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { InputError } from "./input-error.ts";

// One log, as a plain export writes it and as spreadsheets and European shop systems do.
const ROWS: [string, string, number][] = [
  ["a", "2020-01-01", 1234.5],
  ["a", "2020-01-09", 12],
  ["b", "2020-01-02", 0.99],
  ["b", "2020-01-05", 1_000_000],
  ["b", "2020-01-06", -3.5], // a return, netted against b's latest day (Jan 5)
];
const write = (amount: (v: number) => string, delimiter = ",") =>
  file(
    [
      `customer_id${delimiter}date${delimiter}amount`,
      ...ROWS.map(([c, d, v]) => [c, d, amount(v)].join(delimiter)),
    ].join("\n"),
  );
const grouped = (v: number, thousands: string, decimal: string) => {
  const [whole, fraction] = Math.abs(v).toFixed(2).split(".") as [string, string];
  return whole.replace(/\B(?=(\d{3})+$)/g, thousands) + decimal + fraction;
};

test("amounts with currency signs, thousands separators, decimal commas and accounting negatives read as the plain log", async () => {
  const plain = await read(write((v) => String(v)));
  expect(plain.quality.number_formats).toEqual({});
  const layouts: [string, string, (v: number) => string, string][] = [
    [
      "US spreadsheet",
      ",",
      (v) => `"${v < 0 ? "(" : ""}$${grouped(v, ",", ".")}${v < 0 ? ")" : ""}"`,
      "1,234.56",
    ],
    ["German export", ";", (v) => `${v < 0 ? "-" : ""}${grouped(v, ".", ",")} €`, "1.234,56"],
    ["Swiss export", ";", (v) => `CHF ${v < 0 ? "-" : ""}${grouped(v, "'", ".")}`, "1,234.56"],
    ["French export", ";", (v) => `${v < 0 ? "-" : ""}${grouped(v, "\u202f", ",")}`, "1.234,56"],
    ["SAP trailing minus", ",", (v) => `${grouped(v, "", ".")}${v < 0 ? "-" : ""}`, "1,234.56"],
  ];
  for (const [name, delimiter, amount, shown] of layouts) {
    const { log, quality } = await read(write(amount, delimiter));
    expect({ name, days: days(log) }).toEqual({ name, days: days(plain.log) });
    expect(quality.returns).toEqual(plain.quality.returns);
    expect(quality.number_formats).toEqual({ amount: shown });
  }
});

test("amounts as each locale's currency format writes them (Intl.NumberFormat) read as the plain log", async () => {
  const plain = await read(write((v) => String(v)));
  // No-break spaces (de-DE, fr-FR), U+202F groups (fr-FR), U+2212 minus (sv-SE), a code before
  // the sign (pt-BR "-R$ 3,50", de-CH "CHF-3.50") and lakh grouping (en-IN "₹10,00,000.00").
  const locales: [string, string, string][] = [
    ["de-DE", "EUR", "1.234,56"],
    ["fr-FR", "EUR", "1.234,56"],
    ["nl-NL", "EUR", "1.234,56"],
    ["sv-SE", "SEK", "1.234,56"],
    ["pl-PL", "PLN", "1.234,56"],
    ["pt-BR", "BRL", "1.234,56"],
    ["de-CH", "CHF", "1,234.56"],
    ["en-US", "USD", "1,234.56"],
    ["en-IN", "INR", "1,234.56"],
  ];
  for (const [locale, currency, shown] of locales) {
    const format = new Intl.NumberFormat(locale, { style: "currency", currency });
    const { log, quality } = await read(write((v) => `"${format.format(v)}"`, ";"));
    expect({ locale, days: days(log) }).toEqual({ locale, days: days(plain.log) });
    expect({ locale, returns: quality.returns }).toEqual({
      locale,
      returns: plain.quality.returns,
    });
    expect({ locale, formats: quality.number_formats }).toEqual({
      locale,
      formats: { amount: shown },
    });
  }
});

test('a column that reads two ways ("1,234" or "1.234") is an error naming both; --decimal-separator settles it', async () => {
  const path = file('customer_id,date,amount\na,2020-01-01,"1,234"\nb,2020-01-02,"5,000"\n');
  const error = await failure(read(path));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('column "amount" is ambiguous');
  expect(error?.message).toContain('"1,234"');
  expect(error?.message).toContain("--decimal-separator");
  expect(days((await read(path, { decimalSeparator: "." })).log)).toEqual([
    "a 2020-01-01 1234",
    "b 2020-01-02 5000",
  ]);
  expect(days((await read(path, { decimalSeparator: "," })).log)).toEqual([
    "a 2020-01-01 1.234",
    "b 2020-01-02 5",
  ]);
  // One value anywhere in the column that reads only one way decides it, as for dates.
  const decided = file('customer_id,date,amount\na,2020-01-01,"1,234"\nb,2020-01-02,"5,5"\n');
  expect(days((await read(decided)).log)).toEqual(["a 2020-01-01 1.234", "b 2020-01-02 5.5"]);
});

// Forints and kronor have no minor unit in use: "10.690" is 10,690 grouped by a point, and every
// value also casts as a plain number, 10.69. Read that way spend came out 1,000 times too small.
test('whole amounts grouped by a point ("10.690", "534" beside "1.448") are an error naming both readings; --decimal-separator settles it', async () => {
  const huf = file(
    "vevo;datum;osszeg\na;2020-01-01;10.690\nb;2020-01-02;2.350\nb;2020-01-05;999\n",
  );
  const columns = { customerId: "vevo", date: "datum", amount: "osszeg" };
  const error = await failure(read(huf, { columns }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('column "osszeg" is ambiguous: every number with a point (2,');
  expect(error?.message).toMatch(
    /reads as (10\.69 .* 10,690|2\.35 .* 2,350) where the point groups/,
  );
  expect(error?.message).toContain("--decimal-separator ','");
  expect(days((await read(huf, { columns, decimalSeparator: "," })).log)).toEqual([
    "a 2020-01-01 10690",
    "b 2020-01-02 2350",
    "b 2020-01-05 999",
  ]);
  expect(days((await read(huf, { columns, decimalSeparator: "." })).log)).toEqual([
    "a 2020-01-01 10.69",
    "b 2020-01-02 2.35",
    "b 2020-01-05 999",
  ]);
  // Past the sample too: the first 20,000 rows whole numbers, then kronor grouped by a point.
  const lines = Array.from(
    { length: 20_001 },
    (_, i) =>
      `c${i % 50},2020-01-${String(1 + (i % 28)).padStart(2, "0")},${i < 20_000 ? 100 + (i % 800) : "1.448"}`,
  );
  const late = file(`customer_id,date,amount\n${lines.join("\n")}\n`);
  expect((await failure(read(late)))?.message).toContain('e.g. "1.448"');
});

test("a point followed by other than three digits, or after a zero, is a decimal point: read as written", async () => {
  const cents = file("customer_id,date,amount\na,2020-01-01,1.448\nb,2020-01-02,12.50\n");
  expect(days((await read(cents)).log)).toEqual(["a 2020-01-01 1.448", "b 2020-01-02 12.5"]);
  const grams = file("customer_id,date,amount\na,2020-01-01,1.250\nb,2020-01-02,0.750\n");
  expect(days((await read(grams)).log)).toEqual(["a 2020-01-01 1.25", "b 2020-01-02 0.75"]);
});

test("values no layout reads are skipped with their line; a plain column keeps the fast path", async () => {
  const path = file(
    'customer_id,date,amount\na,2020-01-01,"$1,200.00"\nb,2020-01-02,n/a\nc,2020-01-03,"$5\u0000"\nd,2020-01-04,$7\n',
  );
  const { log, quality } = await read(path);
  expect(days(log)).toEqual(["a 2020-01-01 1200", "d 2020-01-04 7"]);
  expect(quality.skipped).toEqual({ "unreadable amount": 2 });
  expect(quality.examples).toEqual({ "unreadable amount": [3, 4] });
  // A stray "$3" among plain numbers: the decimal-point reading takes both.
  const mostly = file(
    "customer_id,date,amount\na,2020-01-01,2.5\nb,2020-01-02,$3\nc,2020-01-03,1e3\n",
  );
  const read2 = await read(mostly);
  expect(days(read2.log)).toEqual(["a 2020-01-01 2.5", "b 2020-01-02 3", "c 2020-01-03 1000"]);
  expect(read2.quality.skipped).toEqual({});
  // A column of plain numbers is typed by the CSV reader, with no format to report.
  const plain = await read(file("customer_id,date,amount\na,2020-01-01,2.5\nb,2020-01-02,-1e3\n"));
  expect(plain.quality.number_formats).toEqual({});
});

test("quantity × price columns are read each by its own format", async () => {
  const path = file(
    "customer;day;qty;price\na;2020-01-01;2;1.234,50\na;2020-01-02;1;0,99\nb;2020-01-03;3;10\n",
  );
  const { log, quality } = await read(path, {
    columns: { customerId: "customer", date: "day", quantity: "qty", price: "price" },
  });
  expect(days(log)).toEqual(["a 2020-01-01 2469", "a 2020-01-02 0.99", "b 2020-01-03 30"]);
  expect(quality.number_formats).toEqual({ price: "1.234,56" });
});

test("exports from two locales joined (12,50 € and 12.50) stop the read naming a value of each; --decimal-separator reads it one way", async () => {
  const german = ["a;2020-01-01;1.234,50 €", "a;2020-01-02;12,50 €", "b;2020-01-03;7,00 €"];
  const us = ["c;2020-01-04;12.50", "c;2020-01-05;1.250", "d;2020-01-06;3.99"];
  const path = file(["customer_id;date;amount", ...german, ...german, ...us].join("\n"));
  const error = await failure(read(path));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('column "amount" holds numbers written two ways');
  expect(error?.message).toContain('"1.234,50 €" (line 2) reads only with a decimal comma');
  expect(error?.message).toContain('"12.50" (line 8) only with a decimal point (2 values');
  expect(error?.message).toContain('"1.250" (line 9) read as a different number each way');
  expect(error?.message).toContain("--decimal-separator ','");
  // Chosen by the user: the other export's values are skipped, "1.250" is 1,250 as they asked.
  const comma = await read(path, { decimalSeparator: "," });
  expect(comma.quality.skipped).toEqual({ "unreadable amount": 2 });
  expect(days(comma.log)).toContain("c 2020-01-05 1250");
  // A row a filter leaves out is neither counted nor the example named.
  const filtered = file(
    [
      "customer_id;date;amount;status",
      "z;2020-01-01;99.00;cancelled",
      ...[...german, ...german, ...us].map((line) => `${line};paid`),
    ].join("\n"),
  );
  const columns = { ...LOG_COLUMNS, dropBy: "status" };
  const named = await failure(read(filtered, { columns, dropValues: ["cancelled"] }));
  expect(named?.message).toContain('"12.50" (line 9) only with a decimal point (2 values');
  // One locale with a stray word: skipped as before, no error.
  const stray = file(["customer_id;date;amount", ...german, "e;2020-01-07;n/a"].join("\n"));
  expect((await read(stray)).quality.skipped).toEqual({ "unreadable amount": 1 });
});

// Bank statements and accounting ledgers write a credit with "CR" after (or before) the amount and
// a debit with "DR": "1.00 CR" was read as +1.00, so 82 refunds of a probe file were purchases.
test('"CR" (credit) reads as a negative amount and "DR" (debit) as a positive one, in any case, with or without a space', async () => {
  const plain = await read(write((v) => String(v)));
  const spellings: [string, (v: number) => string, string][] = [
    ["trailing CR", (v) => `"${grouped(v, ",", ".")}${v < 0 ? " CR" : ""}"`, "1,234.56"],
    ["trailing cr, no space", (v) => `"${grouped(v, ",", ".")}${v < 0 ? "cr" : "DR"}"`, "1,234.56"],
    ["leading CR", (v) => `"${v < 0 ? "CR " : "DR "}${grouped(v, ",", ".")}"`, "1,234.56"],
    ["$ and CR", (v) => `"$${grouped(v, ",", ".")}${v < 0 ? " CR" : " DR"}"`, "1,234.56"],
    ["decimal comma, Cr", (v) => `"${grouped(v, ".", ",")}${v < 0 ? " Cr" : ""}"`, "1.234,56"],
  ];
  for (const [name, amount, shown] of spellings) {
    const { log, quality } = await read(write(amount));
    expect({ name, days: days(log) }).toEqual({ name, days: days(plain.log) });
    expect({ name, returns: quality.returns }).toEqual({ name, returns: plain.quality.returns });
    expect({ name, formats: quality.number_formats }).toEqual({ name, formats: { amount: shown } });
  }
});

// German tills and invoices write a whole euro amount "5,-" (or "5,--"): 38% of a probe file's
// rows were skipped as "unreadable amount" with no warning.
test('whole amounts written "5,-" or "5,--" read as 5,00 in a decimal-comma column; the dash is no minus', async () => {
  const plain = await read(write((v) => String(v)));
  const whole = (dashes: string) => (v: number) => {
    const text = grouped(v, ".", ",");
    return `${v < 0 ? "-" : ""}${text.endsWith(",00") ? text.replace(/,00$/, dashes) : text} €`;
  };
  const rows: [string, string, number][] = [
    ["a", "2020-01-01", 5],
    ["a", "2020-01-03", 1234.5],
    ["b", "2020-01-02", 12],
    ["b", "2020-01-04", 1000],
  ];
  for (const dashes of [",-", ",--"]) {
    const text = [
      "customer_id;date;amount",
      ...[...ROWS, ...rows].map(([c, d, v]) => [c, d, whole(dashes)(v)].join(";")),
    ].join("\n");
    const expected = await read(
      file(
        [
          "customer_id;date;amount",
          ...[...ROWS, ...rows].map(([c, d, v]) => [c, d, String(v)].join(";")),
        ].join("\n"),
      ),
    );
    const { log, quality } = await read(file(text));
    expect({ dashes, days: days(log) }).toEqual({ dashes, days: days(expected.log) });
    expect({ dashes, skipped: quality.skipped }).toEqual({ dashes, skipped: {} });
    expect(quality.returns).toEqual(expected.quality.returns);
    expect(quality.number_formats).toEqual({ amount: "1.234,56" });
  }
  // Only amounts of whole euros: still a decimal comma.
  const only = file(
    ["customer_id;date;amount", "a;2020-01-01;5,-", "b;2020-01-02;1.200,-"].join("\n"),
  );
  expect(days((await read(only)).log)).toEqual(["a 2020-01-01 5", "b 2020-01-02 1200"]);
  expect(plain.quality.skipped).toEqual({});
});

// A `;` export with decimal commas read with --decimal-separator '.': every row was skipped as
// "unreadable price" with the hint "pass --price-col naming a numeric column", although the
// column was the price and numeric; what was wrong was the separator given.
test("a --decimal-separator that reads none of a column's values names the one that does", async () => {
  const path = write((v) => grouped(v, ".", ",").replace(/^/, v < 0 ? "-" : ""), ";");
  const error = await failure(read(path, { decimalSeparator: "." }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('every row is skipped: unreadable amount (column "amount")');
  expect((error as InputError).hint).toBe(
    "--decimal-separator '.' reads none of the amounts; they read with a decimal comma (1.234,56): pass --decimal-separator ',', or leave it out",
  );
  expect(days((await read(path)).log)).toEqual(days((await read(write((v) => String(v)))).log));
  // And the other way round: plain numbers with a decimal point, read with ','.
  const plain = file("customer_id,date,amount\na,2020-01-01,2.10\nb,2020-01-02,12.75\n");
  const comma = await failure(read(plain, { decimalSeparator: "," }));
  expect((comma as InputError).hint).toBe(
    "--decimal-separator ',' reads none of the amounts; they read with a decimal point (1,234.56): pass --decimal-separator '.', or leave it out",
  );
});
