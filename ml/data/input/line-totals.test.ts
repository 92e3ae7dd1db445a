import { expect, test } from "bun:test";
import { tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

// An export with a quantity, a unit price and the line's total (their product). Read with
// --quantity-col quantity --price-col total, every total was multiplied by its quantity again
// (a probe's spend 232,495 for 93,890, 2.5×); read with --amount-col unit_price, every quantity
// was left out (49,425): both trained without a word.
const rows = ["customer_id,date,quantity,unit_price,total"];
for (let i = 0; i < 60; i++) {
  const q = 1 + (i % 4);
  const p = 5 + (i % 7) * 1.25;
  rows.push(
    `c${i % 20},2023-01-${String(1 + (i % 28)).padStart(2, "0")},${q},${p},${(q * p).toFixed(2)}`,
  );
}
const path = file(`${rows.join("\n")}\n`);
const columns = { customerId: "customer_id", date: "date" };

test("a line's total read as a unit price is named, with the options to pass", async () => {
  const { quality } = await read(path, {
    columns: { ...columns, quantity: "quantity", price: "total" },
  });
  expect(quality.line_totals).toMatchObject({
    read_as: "price",
    total: "total",
    price: "unit_price",
  });
  const lines = dataQualityLines(quality).join("\n");
  expect(lines).toContain(
    'WARNING: column "total" is "quantity" × "unit_price" on 45 of 45 lines with a quantity other than 1',
  );
  expect(lines).toContain("pass --amount-col total, or --price-col unit_price");
});

test("a unit price read as the amount, its quantity beside it, is named", async () => {
  const { quality } = await read(path, { columns: { ...columns, amount: "unit_price" } });
  expect(quality.line_totals).toMatchObject({
    read_as: "amount",
    total: "total",
    price: "unit_price",
  });
  expect(dataQualityLines(quality).join("\n")).toContain(
    "pass --amount-col total, or --quantity-col quantity --price-col unit_price",
  );
});

test("read as the file means it, nothing is said", async () => {
  for (const given of [
    { amount: "total" },
    { quantity: "quantity", price: "unit_price" },
    { amount: "total", quantity: "quantity" },
  ]) {
    const { quality } = await read(path, { columns: { ...columns, ...given } });
    expect(quality.line_totals).toBeUndefined();
  }
});
