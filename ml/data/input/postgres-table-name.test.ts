// --table names a PostgreSQL table as written, a part in double quotes with its dots and spaces:
// splitting on every dot made `shop."Orders"` a relation named `"Orders"`, quotes and all.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { postgresWith, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { purchaseDays as days, failure } from "../../testing/log-files.ts";
import { InputError } from "./input-error.ts";
import { readTransactionLog } from "./read-transaction-log.ts";
import { tableNameSql } from "./sql-text.ts";

let database: TestDatabase;
let url: string;
beforeAll(async () => {
  database = await postgresWith(async (sql) => {
    await sql.unsafe(`CREATE SCHEMA "Shop"`);
    for (const table of [`"Shop"."Orders 2024.v2"`, `public."OrdersTable"`]) {
      await sql.unsafe(`CREATE TABLE ${table} (customer_id text, date date, amount numeric)`);
      await sql.unsafe(
        `INSERT INTO ${table} VALUES ('a', '2024-01-02', 10), ('b', '2024-01-03', 5)`,
      );
    }
  });
  url = database.options.databaseUrl as string;
});
afterAll(async () => {
  await database?.cleanup();
});

const columns = { customerId: "customer_id", date: "date", amount: "amount" };
const readTable = (table: string) =>
  readTransactionLog({ source: { kind: "postgres", url, table }, columns });

test("a schema and a table name in double quotes, with a dot and a space, read as written", async () => {
  const expected = ["a 2024-01-02 10", "b 2024-01-03 5"];
  expect(days((await readTable('Shop."Orders 2024.v2"')).log)).toEqual(expected);
  expect(days((await readTable('"Shop"."Orders 2024.v2"')).log)).toEqual(expected);
  // Unquoted parts keep their case, as --table always did (pandas makes such tables).
  expect(days((await readTable("OrdersTable")).log)).toEqual(expected);
  expect(days((await readTable("public.OrdersTable")).log)).toEqual(expected);
  const error = await failure(readTable('Shop."Orders'));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain('--table "Shop.\\"Orders": not a table name');
});

test("tableNameSql: parts quoted as written; an unclosed quote or an empty part is no name", () => {
  expect(tableNameSql("shop.orders")).toBe('"shop"."orders"');
  expect(tableNameSql(' shop . "a ""b"" c" ')).toBe('"shop"."a ""b"" c"');
  for (const bad of ["shop.", '"open', "x..y"]) expect(tableNameSql(bad)).toBeNull();
});

test("a PostgreSQL --query pasted with its semicolon or a closing -- comment reads", async () => {
  const expected = ["a 2024-01-02 10", "b 2024-01-03 5"];
  for (const query of [`SELECT * FROM "OrdersTable";`, `SELECT * FROM "OrdersTable" -- all`]) {
    const { log } = await readTransactionLog({ source: { kind: "postgres", url, query }, columns });
    expect(days(log)).toEqual(expected);
  }
});
