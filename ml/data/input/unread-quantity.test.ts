// Online Retail's Price read as --amount-col with Quantity left out: its C… cancellations
// (negative quantity, positive price) were read as purchases and nothing was said.
import { expect, test } from "bun:test";
import { tempLogFile as file, purchaseDays, readCsvLog as read } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

const HEADER = "Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID";
/** 20 customers: an invoice of 3 lines on Jan 5, one on Mar 19; every fourth cancels a line on Jan 20. */
const LINES = Array.from({ length: 20 }, (_, c) => {
  const id = `${12346 + c}.0`;
  const lines = [1, 2, 3].map((k) => `${500 + c},2${k},${k * 6},1/5/2011 9:0${k},2.55,${id}`);
  lines.push(`${600 + c},21,2,3/19/2011 10:00,4.25,${id}`);
  if (c % 4 === 0) lines.push(`C${700 + c},22,-12,1/20/2011 11:00,2.55,${id}`);
  return lines;
}).flat();
const LOG = [HEADER, ...LINES].join("\n");
const columns = { customerId: "Customer ID", date: "InvoiceDate", amount: "Price" };

test("a unit price read as the amount beside an unread quantity column with returns is warned about", async () => {
  const path = file(LOG);
  const { quality, log } = await read(path, { columns });
  // The read stays as given: the 5 cancellations are 5 purchase days more than the truth's 40.
  expect(purchaseDays(log)).toHaveLength(45);
  expect(quality.unread_quantity).toEqual({
    amount: "Price",
    quantity: "Quantity",
    sampled: 85,
    negative: 5,
  });
  expect(dataQualityLines(quality)).toContain(
    '  WARNING: column "Quantity" is read by no option while "Price" is read as each line\'s amount: ' +
      "every quantity is left out, and 5 of the first 85 lines have a negative quantity at a positive " +
      'amount (returns, such as a cancelled invoice\'s lines), read as purchases; if "Price" is a ' +
      "unit price, pass --quantity-col Quantity --price-col Price (amount = quantity × price)",
  );
  const both = {
    customerId: "Customer ID",
    date: "InvoiceDate",
    quantity: "Quantity",
    price: "Price",
  };
  const right = await read(path, { columns: both });
  expect(right.quality.unread_quantity).toBeUndefined();
  expect(purchaseDays(right.log)).toHaveLength(40);
  // No return written so: nothing to say.
  const noReturns = file([HEADER, ...LINES.filter((l) => !l.startsWith("C"))].join("\n"));
  expect((await read(noReturns, { columns })).quality.unread_quantity).toBeUndefined();
});
