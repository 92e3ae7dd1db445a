// --on-bad-row fail's error named the line and the problem, never what to pass instead.
import { expect, test } from "bun:test";
import { failure, tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";

const LOG = [
  "Invoice,Quantity,InvoiceDate,Price,Customer ID",
  "536365,6,2010-12-01,2.55,17850",
  "536366,2,2010-12-08,3.39,17850",
  "536367,4,2010-12-02,1.25,13047",
  "536368,3,2010-12-10,1.25,13047",
].join("\n");
const columns = {
  customerId: "Customer ID",
  date: "InvoiceDate",
  quantity: "Quantity",
  price: "Price",
};

// An Online Retail export's guest lines (no Customer ID, a fifth of them) read with
// --on-bad-row fail stopped at line 2 with the problem only, not what to pass instead.
test("--on-bad-row fail says how many rows share the problem and how to read the rest", async () => {
  const guests = `${LOG}\n536369,1,2010-12-03,4.95,\n536370,2,2010-12-04,4.95,`;
  const error = await failure(read(file(guests), { columns, onBadRow: "fail" }));
  expect(error?.message).toBe(
    `${error?.message.split(":")[0]}: line 6, field "Customer ID": missing customer id; ` +
      "2 rows have this problem (2 bad rows in all): leave out --on-bad-row fail to skip them and " +
      "count them in the account",
  );
});
