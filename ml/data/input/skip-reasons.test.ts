import { expect, test } from "bun:test";
import { failure, tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";
import { BadRowError } from "../bad-rows.ts";
import { InputError } from "./input-error.ts";
import type { LogColumns } from "./log-input.ts";
import { skipReasons } from "./skip-reasons.ts";
import { linesSql } from "./transactions-sql.ts";

// Columns named unlike the defaults: the field named must be the user's name for the column.
const BY_PRICE: LogColumns = {
  customerId: "Kunde",
  date: "Datum",
  quantity: "Menge",
  price: "Preis",
};
const BY_AMOUNT: LogColumns = { customerId: "Kunde", date: "Datum", amount: "Betrag" };
const GOOD = "a,2020-01-01,1,2\na,2020-01-03,2,2\n";

/** The field `--on-bad-row fail` names for the first bad line (null when it names none). */
async function fieldOfFirstBadLine(line: string, columns: LogColumns): Promise<string | null> {
  const header = columns.price ? "Kunde,Datum,Menge,Preis\n" : "Kunde,Datum,Betrag\n";
  const good = columns.price ? GOOD : "a,2020-01-01,2\na,2020-01-03,4\n";
  const error = await failure(
    read(file(`${header}${good}${line}\n`), { columns, onBadRow: "fail", today: "2020-01-10" }),
  );
  expect(error).toBeInstanceOf(BadRowError);
  expect(error?.message).toContain("line 4");
  return /field "([^"]+)"/.exec(error?.message ?? "")?.[1] ?? null;
}

test("--on-bad-row fail names the column each skip reason is about, by the user's column names", async () => {
  const cases: [string, LogColumns, string | null][] = [
    [",2020-01-02,1,2", BY_PRICE, "Kunde"],
    ["b,,1,2", BY_PRICE, "Datum"],
    ["b,2020-13-01,1,2", BY_PRICE, "Datum"],
    ["b,1970-01-01,1,2", BY_PRICE, "Datum"],
    ["b,2091-01-01,1,2", BY_PRICE, "Datum"],
    ["b,2020-01-02,,2", BY_PRICE, "Menge"],
    ["b,2020-01-02,zwei,2", BY_PRICE, "Menge"],
    ["b,2020-01-02,1,", BY_PRICE, "Preis"],
    ["b,2020-01-02,1,gratis", BY_PRICE, "Preis"],
    ["b,2020-01-02,", BY_AMOUNT, "Betrag"],
    ["b,2020-01-02,1e13", BY_AMOUNT, "Betrag"],
    ["b,2020-01-02,zwölf", BY_AMOUNT, "Betrag"],
  ];
  const fields: (string | null)[] = [];
  for (const [line, columns] of cases) fields.push(await fieldOfFirstBadLine(line, columns));
  expect(fields).toEqual(cases.map((c) => c[2]));
});

test("every row skipped for a reason: the error names its column and the option to pass", async () => {
  const noPrice = file("Kunde,Datum,Menge,Preis\na,2020-01-01,1,\nb,2020-01-02,2,\n");
  const error = await failure(read(noPrice, { columns: BY_PRICE }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('every row is skipped: missing price (column "Preis")');
  expect((error as InputError).hint).toContain("pass --price-col");
  const future = file("Kunde,Datum,Betrag\na,2091-01-01,1\nb,2091-01-02,2\n");
  const ahead = await failure(read(future, { columns: BY_AMOUNT, today: "2020-01-10" }));
  expect(ahead?.message).toContain(
    'every row is skipped: date in the future (after 2020-01-10) (column "Datum")',
  );
  expect((ahead as InputError).hint).toContain("--date-format");
});

test("every reason the lines SQL can give is in the table", () => {
  const today = "2020-01-10";
  const known = skipReasons(today);
  for (const columns of [BY_PRICE, { ...BY_AMOUNT, quantity: "Menge" }]) {
    const sql = linesSql({ columns, from: "raw", dayExpression: "NULL", today });
    const given = [...sql.matchAll(/THEN '([^']+)'/g)].map((m) => m[1] as string);
    expect(given.length).toBeGreaterThan(6);
    expect(given.filter((text) => !known.has(text))).toEqual([]);
  }
});

// The hostile-input probe: a comma-separated line with a field too many was skipped as
// "unreadable amount" (its fields shifted into the amount column), sending users to the wrong column.
test("a line with a field too many is skipped as the wrong number of columns, not an unreadable amount", async () => {
  const { quality } = await read(
    file("customer_id,date,amount\nc1,1997-01-01,10\nc2,extra,1997-01-13,11.77\nc2,1997-02-01,6\n"),
    { today: "2020-01-10" },
  );
  expect(quality.skipped).toEqual({ "wrong number of columns": 1 });
});
