import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomerFeaturesRepository } from "@pp/shared/registry/customer-features.ts";
import { openRegistryFromEnv } from "../../pipelines/open-registry.ts";
import { runCliCaptured } from "../../testing/cli-harness.ts";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
  writeParquet,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { tableNameOf } from "./file-query.ts";
import { InputError } from "./input-error.ts";
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

// pandas in a decimal-comma locale (to_csv(sep=";", decimal=",")) and a German spreadsheet write
// the same float ids as 17850,0 and 17850,00: they were kept so, and a probe's Online Retail
// export scored all its 1,499 customers under ids such as "12346,0" that no system of the shop
// knows. A comma followed by three digits is a thousands grouping (12,000), not a fraction.
test("ids a decimal-comma float export wrote (17850,0 and 17850,00) are read as whole numbers too", async () => {
  const text =
    "customer_id;date;amount\n17850,0;2020-01-01;5\n;2020-01-02;3\n13047,00;2020-01-09;2\n";
  const { log, quality } = await read(file(text));
  expect([...log.customerIds].sort()).toEqual(["13047", "17850"]);
  expect(dataQualityLines(quality).join("\n")).toContain("(a float export) read as");
  // One export of each kind joined: one customer, not two.
  const both = "customer_id;date;amount\n17850;2020-01-01;5\n17850,0;2020-01-09;2\n";
  expect([...(await read(file(both))).log.customerIds]).toEqual(["17850"]);
  const grouped = "customer_id;date;amount\n12,000;2020-01-01;5\n13,000;2020-01-02;3\n";
  expect([...(await read(file(grouped))).log.customerIds].sort()).toEqual(["12,000", "13,000"]);
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

// Monthly exports joined in one read, one month saved by pandas from a column with a gap (float64):
// the float sniffer sees the first file's 17850 and leaves the second's 17850.0 as written, and
// every customer of both months became two.
test("a folder whose exports write one id both ways (17850 and 17850.0) reads one customer each, and says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mixed-floats-"));
  const month = (m: number, float: boolean) =>
    Array.from({ length: 3000 }, (_, i) => {
      const id = `${17000 + (i % 300)}${float ? ".0" : ""}`;
      return `${id},2020-0${m}-${String(1 + (i % 28)).padStart(2, "0")},5`;
    });
  writeFileSync(
    join(dir, "2020-01.csv"),
    ["customer_id,date,amount", ...month(1, false)].join("\n"),
  );
  writeFileSync(
    join(dir, "2020-02.csv"),
    ["customer_id,date,amount", ...month(2, true)].join("\n"),
  );
  // An id that is not a number, and one whose fraction is not zero, stay as written.
  writeFileSync(
    join(dir, "2020-03.csv"),
    "customer_id,date,amount\nA-1.0,2020-03-01,1\n17.5,2020-03-02,1\n",
  );
  const { log, quality } = await readTransactionLog({
    source: { kind: "csv", path: dir },
    columns: { customerId: "customer_id", date: "date", amount: "amount" },
  });
  expect(log.customerIds.length).toBe(302);
  expect(log.customerIds).toContain("17000");
  expect(log.customerIds).not.toContain("17000.0");
  expect(log.customerIds).toContain("A-1.0");
  expect(log.customerIds).toContain("17.5");
  expect(quality.float_written_ids).toBe("17000.0");
  expect(quality.mixed_float_ids).toBe(600);
  expect(dataQualityLines(quality)).toContain(
    "  customer ids written like 17000.0 (a float export) read as 17000; other exports in this read wrote them without the fraction (600 ids had both spellings)",
  );
  // One export alone, written one way: nothing mixed.
  const plain = await read(
    file("customer_id,date,amount\n17850,2020-01-01,1\n17851,2020-01-02,1\n"),
  );
  expect(plain.quality.mixed_float_ids).toBeUndefined();
  rmSync(dir, { recursive: true, force: true });
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

// A report's total lines with a date beside them (a spreadsheet's monthly subtotals) read as a
// customer buying a month's spend on its last day: they are skipped and counted instead.
test("total lines (Total, SUBTOTAL:, Grand Total, Summe) are no customer's: skipped and counted", async () => {
  const lines = [
    "customer_id,date,amount",
    "17850.0,2020-01-01,5", // line 2
    "13047.0,2020-01-09,2",
    "TOTAL,2020-01-31,7", // line 4
    "17850.0,2020-02-01,5",
    "SubTotal:,2020-02-29,5", // line 6
    "Grand Total,2020-02-29,12",
    "Summe,2020-02-29,12", // line 8
    "Totals,,12",
  ];
  const { log, quality } = await read(file(`${lines.join("\n")}\n`));
  const reason = "a total line (customer id Total, Subtotal, Summe, …)";
  expect(quality.skipped).toEqual({ [reason]: 5 });
  expect(quality.examples[reason]).toEqual([4, 6, 7, 8, 9]);
  // Nor do they stop a float export's ids from being read as whole numbers.
  expect([...log.customerIds].sort()).toEqual(["13047", "17850"]);
});

// Spreadsheets in other languages label their pivot tables' grand totals and their subtotals
// otherwise: a probe's German, Russian, Chinese and Italian total lines (a date beside each) read
// as four more customers (64 for 60), each buying a month's spend, with nothing said.
test("total lines in other languages (Gesamtergebnis, Итого, 總計, Totale complessivo, …) are skipped too", async () => {
  const totals = [
    "Gesamtergebnis",
    "Итого",
    "Общий итог",
    "總計",
    "总计",
    "合計",
    "Totale complessivo",
    "Eindtotaal",
    "Total Geral",
    "Suma końcowa",
    "Totalsumma",
  ];
  const lines = [
    "customer_id;date;amount",
    "K1;2024-01-05;10,50",
    ...totals.map((t) => `${t};2024-01-31;12345,50`),
    "K2;2024-01-09;4,00",
    "Ergebnisse;2024-01-10;3,00", // a customer: only the labels themselves are totals
  ];
  const { log, quality } = await read(file(`${lines.join("\n")}\n`));
  const reason = "a total line (customer id Total, Subtotal, Summe, …)";
  expect(quality.skipped).toEqual({ [reason]: totals.length });
  expect([...log.customerIds].sort()).toEqual(["Ergebnisse", "K1", "K2"]);
});

// A spreadsheet's General format writes ids of 12 digits or more as 4.00001E+12: customers whose
// ids share six digits became one id, the shop's best buyer. Such lines are skipped and counted;
// a file where every id is so is an error saying to export the column as text.
test("ids a spreadsheet rounded (4.00001E+12) are skipped and counted; when every id is, the error says to export them as text", async () => {
  const lines = [
    "customer_id,date,amount",
    "4000000024661,2020-01-01,5", // line 2
    "4.00000E+12,2020-01-02,3",
    "4000000006305,2020-01-03,3",
    "4.00001E+12,2020-01-04,3", // line 5
    "4E+12,2020-01-05,3",
    "3E12,2020-01-06,3", // not a rounded number: an id such as a hex code
    "4000000024661,2020-01-07,2",
  ];
  const { log, quality } = await read(file(`${lines.join("\n")}\n`));
  const reason = "customer id rounded by a spreadsheet (written like 4.00001E+12)";
  expect(quality.skipped).toEqual({ [reason]: 3 });
  expect(quality.examples[reason]).toEqual([3, 5, 6]);
  expect([...log.customerIds].sort()).toEqual(["3E12", "4000000006305", "4000000024661"]);
  const all = file("customer_id,date,amount\n4.00000E+12,2020-01-02,3\n4.00001E+12,2020-01-04,3\n");
  const error = await failure(read(all));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain(
    `line 2: every row is skipped: ${reason} (column "customer_id")`,
  );
  expect(error?.message).toContain("export the customer id column as text");
});

// E-mail addresses typed by customers come in several cases: Shopify's export names customers by
// Email, and User5@Example.com and user5@example.com were two customers with half the purchases each.
const CASES = [
  "customer_id,date,amount",
  "Ann@Example.com,2020-01-01,5",
  "ann@example.com,2020-01-02,5",
  "ANN@EXAMPLE.COM,2020-01-03,5",
  "bob@x.org,2020-01-01,5",
  "Cy,2020-01-01,5",
  "cy,2020-01-05,5",
].join("\n");

test("ids that differ only in case are counted and named; --ignore-id-case reads them as one customer", async () => {
  const asWritten = await read(file(CASES));
  expect(asWritten.log.customerIds.length).toBe(6);
  expect(asWritten.quality.case_variant_ids).toEqual({
    ids: 5,
    example: ["ANN@EXAMPLE.COM", "ann@example.com"],
  });
  expect(dataQualityLines(asWritten.quality)).toContain(
    '  WARNING: 5 customer ids differ from another only in case (e.g. "ANN@EXAMPLE.COM" and "ann@example.com") and are read as different customers; if they are one (e-mail addresses typed by customers), pass --ignore-id-case',
  );
  const folded = await read(file(CASES), { ignoreIdCase: true });
  expect([...folded.log.customerIds].sort()).toEqual(["ann@example.com", "bob@x.org", "cy"]);
  expect(days(folded.log)).toContain("ann@example.com 2020-01-03 5");
  expect(folded.quality.case_variant_ids).toBeUndefined();
  expect(dataQualityLines(folded.quality)).toContain(
    "  customer ids read lower-cased (--ignore-id-case): forecasts and scores know them so",
  );
  // No variants, no warning.
  const plain = await read(file("customer_id,date,amount\na,2020-01-01,1\nb,2020-01-02,1\n"));
  expect(plain.quality.case_variant_ids).toBeUndefined();
});

// A spreadsheet drops the leading zeros of ids it reads as numbers: an ERP's 0042 becomes 42 in the
// export somebody opened and saved, and the customer's purchases split between two ids.
test("ids in digits that differ only in leading zeros are counted and named; other ids are not", async () => {
  const ids = ["0042", "42", "00042", "0007", "7", "A042", "A42", "123", "0123x", "123x"];
  const lines = [
    "customer_id,date,amount",
    ...ids.map((id, i) => `${id},2020-01-0${(i % 9) + 1},5`),
  ];
  const { log, quality } = await read(file(lines.join("\n")));
  expect(log.customerIds.length).toBe(ids.length);
  expect(quality.zero_padded_ids).toEqual({ ids: 5, example: ["00042", "42"] });
  expect(dataQualityLines(quality)).toContain(
    "  WARNING: 5 customer ids differ from another only in leading zeros (e.g. \"00042\" and \"42\") and are read as different customers; if they are one (a spreadsheet drops the zeros of ids it reads as numbers), export the ids as text from the shop's system, or write them alike and read again (a --query over the file drops the zeros: SELECT *, regexp_replace(<customer column>, '^0+([0-9]+)$', '\\1') AS unpadded_id FROM <file name>, with --customer-col unpadded_id)",
  );
  // The query the warning gives reads them as one customer each (file-query.ts).
  const zeros = file(lines.join("\n"));
  const unpadded = await readTransactionLog({
    source: {
      kind: "query",
      path: zeros,
      query: `SELECT *, regexp_replace(customer_id, '^0+([0-9]+)$', '\\1') AS unpadded_id FROM ${tableNameOf(zeros)}`,
    },
    columns: { customerId: "unpadded_id", date: "date", amount: "amount" },
  });
  expect(unpadded.log.customerIds.sort()).toEqual(
    ["123", "123x", "42", "7", "A042", "A42", "0123x"].sort(),
  );
  // A float export's 42.0 and 0042.0 are 42 and 0042: the same two customers.
  const floats = await read(
    file("customer_id,date,amount\n42.0,2020-01-01,1\n0042.0,2020-01-02,1\n"),
  );
  expect(floats.quality.zero_padded_ids).toEqual({ ids: 2, example: ["0042", "42"] });
  // Zero-padded ids of one width throughout: nothing to say.
  const padded = await read(
    file("customer_id,date,amount\n0042,2020-01-01,1\n0043,2020-01-02,1\n"),
  );
  expect(padded.quality.zero_padded_ids).toBeUndefined();
});

// The hostile-input probe: a stray opening quote on one line of a CSV made a ghost customer
// ('"c2') that took c2's purchase, with "8 rows read, 8 kept" and nothing said.
test("ids that differ from another only in a quote at an end are counted and named", async () => {
  const csv = [
    "customer_id,date,amount",
    "c1,1997-01-01,10",
    "c2,1997-01-01,63.34",
    '"c2,1997-01-13,11.77',
    "c3,1997-01-02,5",
    "'c4,1997-01-05,9",
    "c4,1997-04-01,9",
    "O'Brien,1997-01-05,9",
    "c5',1997-01-05,9",
  ].join("\n");
  const { quality } = await read(file(csv));
  expect(quality.quoted_variant_ids).toEqual({ ids: 4, example: ['"c2', "c2"] });
  expect(dataQualityLines(quality)).toContain(
    `  WARNING: 4 customer ids differ from another only in a quote at their start or end (e.g. "\\"c2" and "c2") and are read as different customers; if they are one (a stray quote on a line of the export, or a spreadsheet's ' that marks a cell as text), remove the quote from those lines and read again`,
  );
  const clean = await read(file("customer_id,date,amount\nc1,2020-01-01,1\n'x',2020-01-02,1\n"));
  expect(clean.quality.quoted_variant_ids).toBeUndefined();
});

test("ml train --ignore-id-case: the option reaches the reader, and the CLI says so", async () => {
  // Each customer buys four times, in whatever case they type their address that day.
  const lines = ["customer_id,date,amount"];
  for (let c = 0; c < 60; c++)
    for (let k = 0; k < 4; k++) {
      const id = k % 2 === 0 ? `User${c}@Example.com` : `user${c}@example.com`;
      lines.push(
        `${id},${new Date(Date.UTC(2020, 0, 1 + c + k * 40)).toISOString().slice(0, 10)},9`,
      );
    }
  const out = mkdtempSync(join(tmpdir(), "ignore-id-case-"));
  const args = ["train", "--data", file(lines.join("\n")), "--evaluate-only", "--out", out];
  const asWritten = await runCliCaptured(args);
  expect(asWritten.code).toBe(0);
  expect(asWritten.out).toContain("120 customers");
  expect(asWritten.out).toContain("WARNING: 120 customer ids differ from another only in case");
  const manifest = () => JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
  expect(manifest().data.ids_lower_cased).toBeUndefined();
  const folded = await runCliCaptured([...args, "--ignore-id-case"]);
  expect(folded.code).toBe(0);
  expect(folded.out).toContain("60 customers");
  expect(folded.out).toContain("customer ids read lower-cased (--ignore-id-case)");
  // The bundle says so, and the forecast service lower-cases the ids it is asked for.
  expect(manifest().data.ids_lower_cased).toBe(true);
  rmSync(out, { recursive: true, force: true });
});

test("a registered --ignore-id-case version: ml track and ml score read logs so; ml forget User7@Example.com erases its user7@example.com", async () => {
  const lines = ["customer_id,date,amount"];
  for (let c = 0; c < 60; c++)
    for (let k = 0; k < 3; k++)
      lines.push(
        `User${c}@Example.com,${new Date(Date.UTC(2020, 0, 1 + c + k * 50)).toISOString().slice(0, 10)},9`,
      );
  const root = mkdtempSync(join(tmpdir(), "ignore-id-case-registry-"));
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL };
  process.env.DATA_DIR = join(root, "data");
  delete process.env.DATABASE_URL;
  try {
    const trained = await runCliCaptured([
      "train",
      "--data",
      file(lines.join("\n")),
      "--ignore-id-case",
      "--register",
      "casey",
      "--promote",
      "--out",
      join(root, "out"),
    ]);
    expect(trained.code).toBe(0);
    const stored = async () => {
      const opened = await openRegistryFromEnv();
      try {
        const v = await opened.registry.getVersion("casey", 1);
        const rows = await new CustomerFeaturesRepository(opened.db).get(v?.id ?? -1, [
          "user7@example.com",
          "user8@example.com",
        ]);
        return { window: v?.dataWindow, ids: [...rows.keys()].sort() };
      } finally {
        await opened.close();
      }
    };
    const before = await stored();
    expect(before.window?.idsLowerCased).toBe(true);
    expect(before.ids).toEqual(["user7@example.com", "user8@example.com"]);
    // ml track reads the window as the version stores its ids, without the option.
    const later = [
      "customer_id,date,amount",
      "USER8@example.com,2020-09-01,9",
      "user9@EXAMPLE.com,2020-09-02,9",
    ];
    const tracked = await runCliCaptured([
      "track",
      "--model",
      "casey",
      "--data",
      file(later.join("\n")),
    ]);
    expect(tracked.code).toBe(0);
    expect(tracked.out).toContain("customer ids read lower-cased");
    expect(tracked.out).not.toContain("new to the model");
    // ml score of a log scores its customers as the model knows them: one row per person.
    const scores = join(root, "scores.csv");
    const scoreRun = [
      "score",
      "--model",
      "casey",
      "--data",
      file(later.join("\n")),
      "--out",
      scores,
    ];
    expect((await runCliCaptured(scoreRun)).code).toBe(0);
    const scored = readFileSync(scores, "utf8").trim().split("\n").slice(1);
    expect(scored.map((line) => line.split(",")[2]).sort()).toEqual([
      "user8@example.com",
      "user9@example.com",
    ]);
    expect((await runCliCaptured(["forget", "User7@Example.com"])).code).toBe(0);
    expect((await stored()).ids).toEqual(["user8@example.com"]);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  }
}, 120_000);

// Exports meant for Excel guard ids as ="00123" so that a spreadsheet keeps their leading zeros;
// read as written, such a customer was another than the same 00123 in a plain export.
test('Excel\'s text guard ="00123" is read as the id inside it', async () => {
  const text = [
    "customer_id,date,amount",
    "00123,2020-01-01,1",
    '"=""00123""",2020-01-02,2', // the same customer, written by an export for Excel
    '"=""""",2020-01-03,3', // a guarded empty id: no customer
    "=5,2020-01-04,4", // a value starting with "=" without the guard stays as written
  ].join("\n");
  const { log, quality } = await read(file(text));
  expect(days(log)).toEqual(["00123 2020-01-01 1", "00123 2020-01-02 2", "=5 2020-01-04 4"]);
  expect(quality.skipped).toEqual({ "missing customer id": 1 });
});

// Card numbers of 16 digits saved as numbers: a spreadsheet keeps 15 significant digits, so the
// last became 0 and 1,500 customers read as 151, without a word.
test("ids of 16 digits or more, all zeros past the 15th, are refused naming one and its line; real long ids are read", async () => {
  const card = (i: number) => `600123450${String(1_000_000 + i * 7919).slice(1)}`; // 15 digits
  const rows = (id: (i: number) => string, n: number) =>
    Array.from(
      { length: n },
      (_, i) => `${id(i)},2020-01-${String(1 + (i % 28)).padStart(2, "0")},${i + 1}`,
    );
  const rounded = file(["customer_id,date,amount", ...rows((i) => `${card(i)}0`, 30)].join("\n"));
  const error = await failure(read(rounded));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toMatch(
    /^column "customer_id" holds ids a spreadsheet rounded: all 30 ids of 16 digits or more end in zeros past their 15th digit \(e\.g\. "6001234500000000", line 2\)/,
  );
  expect((error as InputError).hint).toBe(
    "export the customer id column as text and read it again",
  );
  // As exported as text: every last digit kept.
  const kept = file(
    ["customer_id,date,amount", ...rows((i) => `${card(i)}${i % 10}`, 30)].join("\n"),
  );
  expect((await read(kept)).log.customerIds.length).toBe(30);
  // A few long ids ending in zeros are no evidence.
  const few = file(["customer_id,date,amount", ...rows((i) => `${card(i)}0`, 19)].join("\n"));
  expect((await read(few)).log.customerIds.length).toBe(19);
});

// A source that types the ids as numbers: JSON numbers past 2^64 are doubles, and pandas writes an
// id column with a gap as float64. Past 2^53 a double cannot hold every whole number: 400 NDJSON
// customers read as 1, 400 Parquet customers as 201, with no word.
test("ids typed as floating-point numbers past 2^53 (JSON past 2^64, Parquet DOUBLE) stop the read, naming the column", async () => {
  const lines = (n: number, id: (i: number) => string) =>
    Array.from(
      { length: n },
      (_, i) => `{"customer_id": ${id(i)}, "date": "2020-01-0${1 + (i % 9)}", "amount": 5}`,
    );
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const huge = file(
    lines(40, (i) => `${18446744073709551617n + 2n * BigInt(i)}`).join("\n"),
    "ndjson",
  );
  const json = await failure(readTransactionLog({ source: { kind: "json", path: huge }, columns }));
  expect(json).toBeInstanceOf(InputError);
  expect(json?.message).toMatch(
    /^column "customer_id" is read as floating-point numbers \(DOUBLE\), and 40 rows hold an id of 2\^53 or more \(e\.g\. 1\.84467440737095\d*e\+19\)/,
  );
  expect((json as InputError).hint).toContain("in JSON as strings");
  // The same ids written as strings are read exactly.
  const quoted = file(
    lines(40, (i) => `"${18446744073709551617n + 2n * BigInt(i)}"`).join("\n"),
    "ndjson",
  );
  const exact = await readTransactionLog({ source: { kind: "json", path: quoted }, columns });
  expect(exact.log.customerIds.length).toBe(40);

  const csv = file(
    [
      "customer_id,date,amount",
      ...Array.from({ length: 40 }, (_, i) => `${10n ** 17n + BigInt(i)},2020-01-02,5`),
    ].join("\n"),
  );
  const parquet = await writeParquet(
    file("", "parquet"),
    `SELECT CAST(customer_id AS DOUBLE) AS customer_id, date, amount FROM read_csv('${csv}', types={'customer_id': 'VARCHAR'})`,
  );
  const double = await failure(
    readTransactionLog({ source: { kind: "parquet", path: parquet }, columns }),
  );
  expect(double?.message).toMatch(
    /^column "customer_id" is read as floating-point numbers \(DOUBLE\), and 40 rows/,
  );
  // Small float ids (17850.0) are still read as the whole numbers they are (test above).
});

// Polars, Spark and DuckDB keep a guest order's missing id in a DOUBLE column as NaN: the read
// stopped with "an id of 2^53 or more (e.g. nan)". NaN is a missing id, as `nan` is in a CSV.
test("NaN in a Parquet DOUBLE id column is a missing id, skipped as the CSV's nan is", async () => {
  const path = await writeParquet(
    file("", "parquet"),
    `SELECT CASE WHEN customer_id IS NULL THEN 'NaN'::DOUBLE ELSE CAST(customer_id AS DOUBLE) END
       AS customer_id, date, amount FROM read_csv('${file(FLOATS)}')`,
  );
  const { log, quality } = await readTransactionLog({
    source: { kind: "parquet", path },
    columns: { customerId: "customer_id", date: "date", amount: "amount" },
  });
  const csv = await read(file(FLOATS.replace("\n,2020", "\nnan,2020")));
  expect(days(log)).toEqual(days(csv.log));
  expect(quality.skipped).toEqual(csv.quality.skipped);
  expect(Object.keys(quality.skipped)).toEqual([
    "customer id written as a missing value (NULL, \\N, NA, nan, None, …)",
  ]);
});
