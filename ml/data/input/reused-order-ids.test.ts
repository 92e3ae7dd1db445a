// A till's receipt numbers restart every day: as an order column they merged one customer's
// purchases of different days, and spread a VOID to every customer's receipt of that number.
import { expect, test } from "bun:test";
import {
  failure,
  tempLogFile as file,
  purchaseDays,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { InputError } from "./input-error.ts";

/** 60 days, 5 receipts a day numbered from 1, 20 customers; receipt 5 of day 3 voided. */
function receipts() {
  const lines = ["receipt_no,customer_id,date,amount,status"];
  for (let d = 0; d < 60; d++) {
    const day = new Date(Date.UTC(2022, 0, 1 + d)).toISOString().slice(0, 10);
    for (let r = 1; r <= 5; r++) {
      const customer = `c${(d * 7 + r * 3) % 20}`;
      lines.push(`${r},${customer},${day},${10 + r},${d === 3 && r === 5 ? "VOID" : ""}`);
    }
  }
  return file(`${lines.join("\n")}\n`);
}

test("an order column whose ids come back weeks apart for one customer is refused, naming an order and its lines", async () => {
  const path = receipts();
  const columns = {
    customerId: "customer_id",
    date: "date",
    amount: "amount",
    order: "receipt_no",
  };
  const error = await failure(read(path, { columns }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toMatch(
    /column "receipt_no" repeats order ids: \d+ of \d+ orders \([\d.]+%\) have lines more than 31 days apart, e\.g\. order "\d" of customer "c\d+" on 2022-\d\d-\d\d \(line \d+\) and 2022-\d\d-\d\d \(line \d+\)/,
  );
  expect((error as InputError).hint).toContain("leave --order-col out");
  // Without it, every line is its customer's purchase on its day; the VOID leaves out its line only.
  const plain = await read(path, {
    columns: { customerId: "customer_id", date: "date", amount: "amount", dropBy: "status" },
    dropValues: ["VOID"],
  });
  expect(plain.quality.left_out?.rows).toBe(1);
  expect(plain.quality.rows_kept).toBe(299);
});

test("a filter on one customer's order leaves out that order only, not other customers' orders of the same id", async () => {
  const path = file(
    [
      "order,customer_id,date,amount,status",
      "7,a,2022-01-01,10,VOID",
      "7,a,2022-01-01,5,", // a's other line of the voided order: left out with it
      "7,b,2022-01-01,20,", // b's order 7 (ids per customer): kept
      "8,b,2022-01-02,30,paid",
    ].join("\n"),
  );
  const columns = {
    customerId: "customer_id",
    date: "date",
    amount: "amount",
    order: "order",
    dropBy: "status",
  };
  const { log, quality } = await read(path, { columns, dropValues: ["VOID"] });
  expect(purchaseDays(log)).toEqual(["b 2022-01-01 20", "b 2022-01-02 30"]);
  expect(quality.left_out?.rows).toBe(2);
});

test("an order's return months later under its id, and an order over two days, are no reason to refuse", async () => {
  const path = file(
    [
      "order,customer_id,date,amount",
      "1,a,2022-01-01,10",
      "1,a,2022-01-02,5", // a line the next day (past midnight): the order's first day
      "1,a,2022-05-01,-5", // returned in May under the order's id
      "2,b,2022-01-03,7",
    ].join("\n"),
  );
  const columns = { customerId: "customer_id", date: "date", amount: "amount", order: "order" };
  const { log } = await read(path, { columns });
  expect(purchaseDays(log)).toEqual(["a 2022-01-01 10", "b 2022-01-03 7"]);
});
