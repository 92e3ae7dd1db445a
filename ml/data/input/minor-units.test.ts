// Stripe's API writes amounts in cents: read as written, every spend was 100 times too large.
import { expect, test } from "bun:test";
import {
  failure,
  tempLogFile as file,
  purchaseDays,
  readCsvLog as read,
} from "../../testing/log-files.ts";

/** Stripe's {"object": "list", "data": [charges]} for 12 customers: USD, and JPY for the last two. */
function stripeList() {
  const truth: string[] = [];
  const data = Array.from({ length: 12 }, (_, c) => {
    const yen = c >= 10;
    const whole = yen ? 5000 + c : 20 + c + 0.5;
    const day = 1 + c;
    truth.push(`cus_${c} 2020-01-${String(day).padStart(2, "0")} ${whole}`);
    return {
      id: `ch_${c}`,
      object: "charge",
      amount: yen ? whole : Math.round(whole * 100),
      amount_refunded: 0,
      created: Date.UTC(2020, 0, day, 12) / 1000,
      currency: yen ? "jpy" : "usd",
      customer: `cus_${c}`,
      status: "succeeded",
    };
  });
  const text = JSON.stringify({ object: "list", data, has_more: false, url: "/v1/charges" });
  return { path: file(text, "json"), truth: truth.sort() };
}

const columns = { customerId: "customer", date: "created", amount: "amount" };

test("Stripe's amounts in cents are refused without --amount-unit; minor reads them in whole units, by currency", async () => {
  const { path, truth } = stripeList();
  const source = { kind: "json", path } as const;
  const error = await failure(read(path, { source, columns }));
  expect(error?.message).toContain(
    `column "amount" holds Stripe's amounts, written in the currency's smallest unit: 2050 is 20.5`,
  );
  expect(error?.message).toContain("pass --amount-unit minor");
  const minor = await read(path, { source, columns, amountUnit: "minor" });
  expect(purchaseDays(minor.log)).toEqual(truth);
  const major = await read(path, { source, columns, amountUnit: "major" });
  expect(purchaseDays(major.log)).toContain("cus_0 2020-01-01 2050");
});

// Stripe's dashboard exports the same charges as CSV: every value text, each a whole number of cents.
test("Stripe's charges as a CSV, in cents, are refused too; minor reads them", async () => {
  const csv = file(
    "id,object,customer,created,amount,currency\n" +
      "ch_1,charge,cus_1,2022-01-20 10:00:00,2672,usd\n" +
      "ch_2,charge,cus_2,2022-01-21 11:00:00,1500,jpy\n",
  );
  const stripe = { customerId: "customer", date: "created", amount: "amount" };
  const error = await failure(read(csv, { columns: stripe }));
  expect(error?.message).toContain(`column "amount" holds Stripe's amounts`);
  expect(error?.message).toContain("2672 is 26.72");
  const minor = await read(csv, { columns: stripe, amountUnit: "minor" });
  expect(purchaseDays(minor.log)).toEqual(["cus_1 2022-01-20 26.72", "cus_2 2022-01-21 1500"]);
});

test("decimal amounts, or records that are not Stripe's, are read as written", async () => {
  const csv = file(
    "customer_id,date,amount,object\na,2020-01-05,5000,charge\nb,2020-01-06,12.5,charge\n",
  );
  expect(purchaseDays((await read(csv)).log)).toEqual(["a 2020-01-05 5000", "b 2020-01-06 12.5"]);
  const other = file("customer_id,date,amount,object\na,2020-01-05,5000,parcel\n");
  expect(purchaseDays((await read(other)).log)).toEqual(["a 2020-01-05 5000"]);
});

// Square's Payments API: {"payments": [{"total_money": {"amount": 2050, "currency": "USD"}, …}]}.
test("Square's Money amounts (total_money.amount) are refused without --amount-unit; minor reads them", async () => {
  const payments = [
    {
      customer_id: "A",
      created_at: "2020-01-05T12:00:00Z",
      total_money: { amount: 2050, currency: "USD" },
    },
    {
      customer_id: "B",
      created_at: "2020-01-06T12:00:00Z",
      total_money: { amount: 999, currency: "USD" },
    },
    {
      customer_id: "C",
      created_at: "2020-01-07T12:00:00Z",
      total_money: { amount: 1500, currency: "JPY" },
    },
  ];
  const path = file(JSON.stringify({ payments }), "json");
  const source = { kind: "json", path } as const;
  const square = { customerId: "customer_id", date: "created_at", amount: "total_money.amount" };
  const error = await failure(read(path, { source, columns: square }));
  expect(error?.message).toContain(
    `column "total_money.amount" holds Square's Money amounts, written in the currency's smallest unit`,
  );
  const minor = await read(path, { source, columns: square, amountUnit: "minor" });
  // Each by its own Money object's currency: yen have no minor unit.
  expect(purchaseDays(minor.log)).toEqual([
    "A 2020-01-05 20.5",
    "B 2020-01-06 9.99",
    "C 2020-01-07 1500",
  ]);
});

// Rails' money-rails and many shop databases keep amounts as integer cents in a column named so
// (total_cents, amount_in_cents, priceCents): read as written, every spend was 100 times too
// large, and nothing was said. The name is the contract, as Stripe's object column is.
test("an amount column named in cents (total_cents, amount_in_cents, priceCents) is refused; minor reads it", async () => {
  for (const name of ["total_cents", "amount_in_cents", "priceCents", "Amount (cents)"]) {
    const csv = file(
      `customer_id,date,"${name}"\na,2022-01-20,2672\nb,2022-01-21,1500\na,2022-02-03,999\n`,
    );
    const cents = { customerId: "customer_id", date: "date", amount: name };
    const error = await failure(read(csv, { columns: cents }));
    expect(error?.message).toContain(
      `column "${name}" holds amounts in cents (its name says so), written in the currency's smallest unit: 2672 is 26.72`,
    );
    const minor = await read(csv, { columns: cents, amountUnit: "minor" });
    expect(purchaseDays(minor.log)).toEqual([
      "a 2022-01-20 26.72",
      "a 2022-02-03 9.99",
      "b 2022-01-21 15",
    ]);
  }
  // Decimal amounts in such a column, or a name that only holds the word, are read as written.
  const decimals = file("customer_id,date,total_cents\na,2022-01-20,26.72\n");
  const cols = { customerId: "customer_id", date: "date", amount: "total_cents" };
  expect(purchaseDays((await read(decimals, { columns: cols })).log)).toEqual([
    "a 2022-01-20 26.72",
  ]);
  const other = file("customer_id,date,centsless\na,2022-01-20,2672\n");
  const named = { customerId: "customer_id", date: "date", amount: "centsless" };
  expect(purchaseDays((await read(other, { columns: named })).log)).toEqual(["a 2022-01-20 2672"]);
});

// The same with --quantity-col and --price-col: a line item's unit_price_cents.
test("a price column named in cents is refused too; minor reads quantity × price in whole units", async () => {
  const csv = file(
    "customer_id,date,qty,unit_price_cents\na,2022-01-20,2,1250\nb,2022-01-21,1,999\n",
  );
  const columns = {
    customerId: "customer_id",
    date: "date",
    quantity: "qty",
    price: "unit_price_cents",
  };
  const error = await failure(read(csv, { columns }));
  expect(error?.message).toContain(
    `column "unit_price_cents" holds amounts in cents (its name says so)`,
  );
  const minor = await read(csv, { columns, amountUnit: "minor" });
  expect(purchaseDays(minor.log)).toEqual(["a 2022-01-20 25", "b 2022-01-21 9.99"]);
});
