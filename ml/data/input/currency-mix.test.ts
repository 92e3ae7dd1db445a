// Amounts in several currencies are summed as written: the read names the currencies of the first
// rows and the --keep-rows that models one.
import { expect, test } from "bun:test";
import { Command } from "commander";
import {
  addTransactionLogOptions,
  transactionLogFromCli,
} from "../../pipelines/log-cli-options.ts";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  LOG_COLUMNS,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { InputError } from "./input-error.ts";

const ORDERS = [
  "customer_id,date,amount,Currency Code",
  "a,2023-01-02,10,EUR",
  "a,2023-01-09,12,EUR",
  "b,2023-01-03,1500,JPY",
  "c,2023-01-04,8,USD",
  "c,2023-01-05,9,EUR",
].join("\n");

test("a currency column with several currencies: named, counted, and the --keep-rows that picks one", async () => {
  const { quality } = await read(file(ORDERS));
  expect(quality.currencies).toEqual({
    column: "Currency Code",
    sampled_rows: 5,
    values: [
      { value: "EUR", rows: 3 },
      { value: "JPY", rows: 1 },
      { value: "USD", rows: 1 },
    ],
    distinct: 3,
  });
  expect(dataQualityLines(quality)).toContain(
    `  WARNING: column "Currency Code" holds 3 currencies among its first 5 values (EUR 3, JPY 1, USD 1): amounts are summed as written, whatever their currency; pass --keep-rows 'Currency Code=EUR' to model one, or convert the amounts first`,
  );
  const rows = dataQualityTables(quality)[0]?.rows.map((r) => r.join(" | "));
  expect(rows).toContainEqual(expect.stringContaining("several currencies | WARNING"));
  // Picking one with --keep-rows, one currency throughout, or no such column: nothing to say.
  const kept = await read(file(ORDERS), {
    columns: { ...LOG_COLUMNS, keepBy: "Currency Code" },
    keepValues: ["EUR"],
  });
  expect(kept.quality.currencies).toBeUndefined();
  // --drop-rows leaving one currency picks it too (it warned on, naming the --keep-rows); leaving
  // two, it still warns.
  const dropBy = { columns: { ...LOG_COLUMNS, dropBy: "Currency Code" } };
  const left = await read(file(ORDERS), { ...dropBy, dropValues: ["JPY", "USD"] });
  expect(left.quality.currencies).toBeUndefined();
  const two = await read(file(ORDERS), { ...dropBy, dropValues: ["JPY"] });
  expect(two.quality.currencies?.distinct).toBe(3);
  const one = ORDERS.replace(/,(JPY|USD)$/gm, ",EUR");
  expect((await read(file(one))).quality.currencies).toBeUndefined();
  const none = ORDERS.replace("Currency Code", "note");
  expect((await read(file(none))).quality.currencies).toBeUndefined();
});

// A multi-store export with no currency column: the number sniffer reads past each sign, so
// dollars, euros, pounds, francs and yen were summed as one currency, with no word.
const STORES = [
  "customer_id,date,amount,store",
  "a,2023-01-02,$1.25,US",
  'b,2023-01-03,"€1,506.00",EU',
  "c,2023-01-04,£54.00,UK",
  "a,2023-01-05,CHF 147.10,CH",
  'b,2023-01-06,"$1,522.15",US',
  'c,2023-01-07,"€1,623.15",EU',
].join("\n");

test("amounts written with several currency signs stop the read, naming each with a line and what to pass", async () => {
  const error = await failure(read(file(STORES)));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toBe(
    'column "amount" holds amounts in 4 currencies: "$1.25" (line 2; 2 values), "€1,506.00" (line 3; 2 values), ' +
      '"£54.00" (line 4; 1 value), "CHF 147.10" (line 5; 1 value); they would be summed as one currency; ' +
      "read one currency at a time: pass --keep-rows COLUMN=VALUE with a store or currency column and the value " +
      "of one (e.g. --keep-rows 'store=EU'), or convert the amounts to one currency first",
  );
  // With a filter leaving one currency, or one sign throughout (its code too), silent and exact.
  const eu = await read(file(STORES), {
    columns: { ...LOG_COLUMNS, keepBy: "store" },
    keepValues: ["EU"],
  });
  expect(days(eu.log)).toEqual(["b 2023-01-03 1506", "c 2023-01-07 1623.15"]);
  const one = STORES.replaceAll(/£|CHF /g, "$")
    .replace('"€1,506.00"', "USD 1506.00")
    .replace("€", "US$");
  expect(days((await read(file(one))).log)).toHaveLength(6);
  // Accounting marks and words that are no currency are not counted as one.
  const marks = [
    "customer_id,date,amount",
    "a,2023-01-02,$1.25",
    "b,2023-01-03,$2.00 DR",
    "c,2023-01-04,5.00 ea",
  ];
  expect(days((await read(file(marks.join("\n")))).log)).toHaveLength(3);
});

test("a currency's own sign and its code are one currency: A$ and AUD, ₺ and TRY, C$ and CAD", async () => {
  // Each pair was refused as "amounts in 2 currencies" (a sign with a letter, or a sign of its
  // own, counted apart from the ISO code of the same currency).
  const pairs = [
    ["A$12.50", "12.50 AUD"],
    ["AU$12.50", "AUD 12.50"],
    ["C$12.50", "CAD 12.50"],
    ["CA$12.50", "12.50 CAD"],
    ["NZ$12.50", "NZD 12.50"],
    ["S$12.50", "SGD 12.50"],
    ["HK$12.50", "HKD 12.50"],
    ["MX$12.50", "MXN 12.50"],
    ["₺12.50", "12.50 TRY"],
    ["₩12500", "KRW 12500"],
    ["₱12.50", "PHP 12.50"],
    ["₪12.50", "ILS 12.50"],
    ["₫12500", "12500 VND"],
    ["₴12.50", "UAH 12.50"],
    ["₦12.50", "NGN 12.50"],
    ["฿12.50", "THB 12.50"],
    ["₡12.50", "CRC 12.50"],
  ];
  for (const [sign, code] of pairs) {
    const lines = ["customer_id,date,amount", `a,2023-01-02,${sign}`, `b,2023-01-03,${code}`];
    const { log } = await read(file(lines.join("\n")));
    expect(days(log)).toHaveLength(2);
  }
  // Other currencies still stop the read.
  const two = ["customer_id,date,amount", "a,2023-01-02,A$12.50", "b,2023-01-03,NZD 12.50"];
  expect(await failure(read(file(two.join("\n"))))).toBeInstanceOf(InputError);
});

// A bare "$" is the sign of the Canadian, Australian, … dollar too: a Canadian shop writing
// "$25.00" and "CAD 10.00" holds one currency. The read still stops (a US shop may write its
// own dollars bare and Canadian orders by code), but says so and what to pass.
test('a bare "$" with a dollar code: the error says "$" may be that dollar, and --sign-currency reads it so', async () => {
  const text = [
    "customer_id,date,amount",
    "a,2023-01-02,$25.00",
    "a,2023-01-05,CAD 10.00",
    "b,2023-01-03,$5.00",
  ].join("\n");
  const error = await failure(read(file(text)));
  expect(error?.message).toStartWith(
    'column "amount" holds amounts in 2 currencies: "$25.00" (line 2; 2 values), "CAD 10.00" ' +
      '(line 3; 1 value); they would be summed as one currency; a bare "$" is also the sign of ' +
      "the CAD",
  );
  expect((error as InputError).hint).toBe(
    'if the "$" amounts are CAD, pass --sign-currency CAD; else read one currency at a time: pass ' +
      "--keep-rows COLUMN=VALUE with a store or currency column and the value of one (e.g. " +
      "--keep-rows 'store=EU'), or convert the amounts to one currency first",
  );
  const cad = await read(file(text), { signCurrency: "CAD" } as never);
  expect(days(cad.log)).toEqual(["a 2023-01-02 25", "a 2023-01-05 10", "b 2023-01-03 5"]);
  // Said to be US dollars, the "$" amounts are still not the CAD ones.
  expect(await failure(read(file(text), { signCurrency: "USD" } as never))).toBeInstanceOf(
    InputError,
  );
});

test("--sign-currency reaches the reader from the command line", () => {
  const program = addTransactionLogOptions(new Command(), "log");
  program.parse(["--data", "x.csv", "--sign-currency", "CAD"], { from: "user" });
  expect(transactionLogFromCli(program.opts()).log?.signCurrency).toBe("CAD");
});

// ¥ is the yen's and the yuan's sign and kr the Swedish, Norwegian, Danish and Icelandic crown's:
// the signs and codes of each were counted as one currency, so "JPY 1000" and "CNY 5" (or SEK and
// NOK) were summed as one, silently.
test("two codes sharing a sign (JPY and CNY, SEK and NOK) are two currencies; the bare sign beside one of them is that one", async () => {
  const amounts = (...values: string[]) =>
    file(
      ["customer_id,date,amount", ...values.map((v, i) => `a,2023-01-0${i + 2},${v}`)].join("\n"),
    );
  const one =
    "read one currency at a time: pass --keep-rows COLUMN=VALUE with a store or currency column " +
    "and the value of one (e.g. --keep-rows 'store=EU'), or convert the amounts to one currency first";
  const yen = await failure(read(amounts("JPY 1000", "CNY 5")));
  expect(yen).toBeInstanceOf(InputError);
  expect(yen?.message).toBe(
    'column "amount" holds amounts in 2 currencies: "JPY 1000" (line 2; 1 value), "CNY 5" (line 3; ' +
      `1 value); they would be summed as one currency; ${one}`,
  );
  expect((yen as InputError).hint).toBe(one);
  for (const [a, b] of [
    ["SEK 100", "NOK 100"],
    ["100 DKK", "SEK 100"],
    ["ISK 900", "NOK 100"],
    ["RMB 5", "1000 JPY"],
  ]) {
    const error = await failure(read(amounts(a as string, b as string)));
    expect(error?.message).toStartWith(
      `column "amount" holds amounts in 2 currencies: "${a}" (line 2; 1 value), "${b}" (line 3; 1 value)`,
    );
  }
  // A bare sign beside one of its codes (or alone) is that currency, as before.
  for (const values of [
    ["¥500", "JPY 1000"],
    ["￥500", "CNY 5", "RMB 6"],
    ["kr 100", "SEK 50"],
    ["100 kr", "NOK 50", "kr 20"],
    ["¥500", "¥20"],
  ]) {
    expect(days((await read(amounts(...values))).log)).toHaveLength(values.length);
  }
  // Beside both, a bare "¥" may be either: the error names it.
  const both = await failure(read(amounts("JPY 1000", "¥500", "CNY 5")));
  expect(both?.message).toBe(
    'column "amount" holds amounts in 2 currencies: "JPY 1000" (line 2; 1 value), "¥500" (line 3; ' +
      '1 value), "CNY 5" (line 4; 1 value); they would be summed as one currency; a bare "¥" may be ' +
      `the JPY or the CNY; ${one}`,
  );
  expect((both as InputError).hint).toBe(one);
  // Still stopped beside another currency once the bare sign joins its code.
  expect(await failure(read(amounts("¥500", "JPY 1000", "€5")))).toBeInstanceOf(InputError);
});

// --sign-currency names what a bare sign stands for, and only a sign that currency is written
// with: "--sign-currency CAD" made "¥500" Canadian dollars too, and a column of "$25.00",
// "CAD 10.00" and "¥500" was summed as one currency, silently.
test("--sign-currency applies to the bare signs of that currency only", async () => {
  const text = [
    "customer_id,date,amount",
    "a,2023-01-02,$25.00",
    "a,2023-01-05,CAD 10.00",
    "b,2023-01-03,¥500",
  ].join("\n");
  const error = await failure(read(file(text), { signCurrency: "CAD" } as never));
  expect(error?.message).toContain('"¥500" (line 4; 1 value)');
  // A crown for the crowns' "kr", and the "$" left as it is written (US dollars).
  const crowns = ["customer_id,date,amount", "a,2023-01-02,100 kr", "b,2023-01-03,SEK 50"];
  const sek = await read(file(crowns.join("\n")), { signCurrency: "SEK" } as never);
  expect(days(sek.log)).toHaveLength(2);
  const mixed = [...crowns, "c,2023-01-04,$5.00"].join("\n");
  expect(await failure(read(file(mixed), { signCurrency: "SEK" } as never))).toBeInstanceOf(
    InputError,
  );
});
