// A --cancel-pattern that matches no order id (Online Retail's cancellations start with "C";
// '^X' or a pattern for another export's ids) was taken without a word: the account looked the
// same as with the right one, so a wrong pattern was never noticed.
import { expect, test } from "bun:test";
import { failure, tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

const LOG = [
  "Invoice,Quantity,InvoiceDate,Price,Customer ID",
  "536365,6,2010-12-01,2.55,17850",
  "536366,2,2010-12-08,3.39,17850",
  "C536379,-1,2010-12-09,2.55,17850",
  "536367,4,2010-12-02,1.25,13047",
  "536368,3,2010-12-10,1.25,13047",
].join("\n");
const columns = {
  customerId: "Customer ID",
  date: "InvoiceDate",
  quantity: "Quantity",
  price: "Price",
  order: "Invoice",
};

test("a --cancel-pattern that matches no order id is said, with a return's order id", async () => {
  const path = file(LOG);
  const wrong = await read(path, { columns, cancelPattern: "^X" });
  expect(wrong.quality.returns.cancel_pattern_unmatched).toEqual({
    pattern: "^X",
    example: "C536379",
  });
  expect(dataQualityLines(wrong.quality)).toContain(
    "  WARNING: --cancel-pattern '^X' matches no order id of the lines read; returns are only " +
      'the lines with a negative amount (one is in order "C536379")',
  );
  const right = await read(path, { columns, cancelPattern: "^C" });
  expect(right.quality.returns.cancel_pattern_unmatched).toBeUndefined();
});

// The refusal named no column, though the file's order column is named like one ("Invoice").
test("--cancel-pattern without --order-col names the order column to pass", async () => {
  const { order: _, ...withoutOrder } = columns;
  const error = await failure(read(file(LOG), { columns: withoutOrder, cancelPattern: "^C" }));
  expect(error?.message).toBe(
    "--cancel-pattern needs --order-col (the pattern is matched on the order id); pass --order-col Invoice",
  );
});
