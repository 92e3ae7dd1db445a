import { expect, test } from "bun:test";
import { LOG_COLUMNS } from "../../testing/log-files.ts";
import { otherHeaderError } from "./other-header.ts";

const HEADER = "order,customer_id,sku,date,amount";
const at = (text: string, header = HEADER) =>
  otherHeaderError("log.csv", 9, header, text, LOG_COLUMNS)?.message ?? null;

test("a later header is named by its line with what differs from the first", () => {
  expect(at("order,sku,customer_id,date,amount")).toStartWith(
    "log.csv: line 9: the header line again, its columns in another order (customer_id, sku): the lines below it would be read by the first header's (order,customer_id,sku,date,amount)",
  );
  expect(at("order,customer_id,item,date,amount")).toContain(
    "other columns (adds item; lacks sku)",
  );
  expect(at('"order";"customer_id";"date";"amount";"sku"', HEADER.replaceAll(",", ";"))).toContain(
    "its columns in another order (sku, date, amount)",
  );
});

test("the same header quoted otherwise, and a data line holding the names, are no other header", () => {
  expect(at('"order","customer_id","sku","date","amount"')).toBeNull();
  expect(at("7,customer_id date,X1,2023-01-05,10")).toBeNull();
});

test("a later header with another number of columns is another header, both counts said", () => {
  expect(at("order,customer_id,sku,date,amount,channel")).toContain(
    "other columns (6 columns, not 5: adds channel)",
  );
  expect(at("order,customer_id,date,amount")).toContain(
    "other columns (4 columns, not 5: lacks sku)",
  );
});
