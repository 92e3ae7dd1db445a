// Ta Feng's layout: AMOUNT counts the units, SALES_PRICE is the line's money. Read by AMOUNT, the
// account says so and names the option; read by SALES_PRICE, or in a shop whose amounts are money,
// nothing is said.
import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import { tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import type { LogColumns } from "./log-input.ts";

/** Lines in Ta Feng's columns: units 1–3 (a few 4s), NT$ prices in whole dollars. */
function taFeng(lines: number): string {
  const out = ["TRANSACTION_DT,CUSTOMER_ID,AGE_GROUP,PIN_CODE,PRODUCT_ID,AMOUNT,ASSET,SALES_PRICE"];
  for (let i = 0; i < lines; i++) {
    const units = 1 + (i % 7 === 0 ? 3 : i % 3);
    const day = 1 + (i % 28);
    out.push(
      `11/${day}/2000,${1000 + (i % 40)},D,115,47101${i % 9},${units},${24 * units},${35 * units}`,
    );
  }
  return out.join("\n");
}

const columns = (amount: string): LogColumns => ({
  customerId: "CUSTOMER_ID",
  date: "TRANSACTION_DT",
  amount,
});

test("amounts of 1–4 units beside a SALES_PRICE of 35–140: warned, naming --amount-col SALES_PRICE", async () => {
  const path = file(taFeng(400));
  const { quality } = await read(path, { columns: columns("AMOUNT") });
  expect(quality.quantity_like_amount).toEqual({
    column: "AMOUNT",
    median: 2,
    other: "SALES_PRICE",
    other_median: 70,
  });
  const warning = dataQualityLines(quality).find((l) => l.includes("like a count of items"));
  expect(warning).toBe(
    '  WARNING: the amounts in "AMOUNT" are small whole numbers (median 2), like a count of items, while "SALES_PRICE" holds larger values (median 70): if "AMOUNT" is a quantity, pass --amount-col SALES_PRICE (the line\'s money), or --quantity-col AMOUNT --price-col SALES_PRICE if that is a unit price',
  );
  const rows = dataQualityTables(quality)[0]?.rows.map((r) => r.join(" | "));
  expect(rows).toContainEqual(expect.stringContaining("amounts like item counts | WARNING"));
  // Following it: nothing more is said.
  const fixed = await read(path, { columns: columns("SALES_PRICE") });
  expect(fixed.quality.quantity_like_amount).toBeUndefined();
});

test("money amounts, whole amounts with no money column beside them, quantity × price: nothing said", async () => {
  const shop = [
    "customer_id,date,amount,total_items",
    "a,2023-01-02,12.5,1",
    "b,2023-01-03,40.0,3",
  ];
  expect((await read(file(shop.join("\n")))).quality.quantity_like_amount).toBeUndefined();
  // Whole small amounts (a shop priced in whole units) with no other money column: not a guess.
  const whole = ["customer_id,date,amount,units", "a,2023-01-02,2,1", "b,2023-01-03,3,3"];
  expect((await read(file(whole.join("\n")))).quality.quantity_like_amount).toBeUndefined();
  const retail = ["customer_id,date,Quantity,Price", "a,2023-01-02,2,35", "b,2023-01-03,1,70"];
  const byLine = await read(file(retail.join("\n")), {
    columns: { customerId: "customer_id", date: "date", quantity: "Quantity", price: "Price" },
  });
  expect(byLine.quality.quantity_like_amount).toBeUndefined();
});
