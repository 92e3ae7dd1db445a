// A `;` export read with --delimiter ',' (or with a delimiter the sniffer missed) listed the header
// as one column and said "the delimiter was not recognised: pass --delimiter (e.g. --delimiter
// ';' or --delimiter tab)", though the user had passed one and the header shows which it is.
import { expect, test } from "bun:test";
import { failure, tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";

const SEMI = "Invoice;InvoiceDate;Price;Customer ID\n536365;12/13/2010 8:26;2,55;17850,0\n";
const columns = { customerId: "Customer ID", date: "InvoiceDate", amount: "Price" };

test("a header read as one column names the delimiter that splits it into the columns asked for", async () => {
  const error = await failure(read(file(SEMI), { columns }, { delimiter: "," }));
  expect(error?.message).toContain(
    "the header's names are separated by ';', not ',': pass --delimiter ';'",
  );
  const tabs = file("customer|date|amount\nc1|2020-01-01|5\n".replaceAll("|", "\t"));
  const tabError = await failure(
    read(
      tabs,
      { columns: { customerId: "customer", date: "date", amount: "amount" } },
      { delimiter: ";" },
    ),
  );
  expect(tabError?.message).toContain("separated by tabs, not ';': pass --delimiter tab");
});
