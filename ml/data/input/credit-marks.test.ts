// "CR" after an amount is read as a credit (a refund, negative): right where a ledger or a bank
// statement marks the odd refund among sales. Where it marks most of a column (a shop's own sales
// account, whose sales are credits), or follows a rupee amount (where "Cr" is also a crore), that
// reading turned every sale into a return with nothing said: the read now stops and names what
// to pass, --credit-is sale or --credit-is return.
import { expect, test } from "bun:test";
import { Command } from "commander";
import {
  addTransactionLogOptions,
  transactionLogFromCli,
} from "../../pipelines/log-cli-options.ts";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { InputError } from "./input-error.ts";

const csv = (amounts: string[]) =>
  [
    "customer_id,date,amount",
    ...amounts.map((a, i) => `${"abab"[i % 4]},2020-01-0${1 + i},"${a}"`),
  ].join("\n");

// A sales account's export: sales are credits, a refund a debit. The truth: a bought 25 and 10,
// b bought 5 and returned 2 of it.
const SALES_CREDITS = csv(["25.00 CR", "5.00 CR", "10.00 CR", "2.00 DR"]);

test('a column whose amounts are mostly marked "CR" stops the read, naming the column, a line and what to pass', async () => {
  const error = await failure(read(file(SALES_CREDITS)));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toStartWith(
    'column "amount" marks 3 of 4 amounts as credits ("CR"), e.g. "25.00 CR" (line 2): read as ' +
      "refunds, most of the log would be returns; a shop's own sales account writes its sales as " +
      "credits",
  );
  expect((error as InputError).hint).toBe(
    'if "CR" marks a sale here, pass --credit-is sale ("DR" is then a refund); if these are ' +
      "refunds, pass --credit-is return",
  );
  const sales = await read(file(SALES_CREDITS), { creditIs: "sale" } as never);
  expect(days(sales.log)).toEqual(["a 2020-01-01 25", "a 2020-01-03 10", "b 2020-01-02 3"]);
  const refunds = await read(file(SALES_CREDITS), { creditIs: "return" } as never);
  // As it was read before: every credit a refund, the one debit the only purchase (b's 5.00 netted
  // against it), a's 35 of sales gone.
  expect(days(refunds.log)).toEqual(["b 2020-01-04 0"]);
});

test('"Cr" after a rupee amount may be a crore: the read stops; the odd "CR" among sales is a credit', async () => {
  const rupees = csv(["₹1,20,000", "₹5,000", "₹2.25 Cr", "₹800"]);
  const error = await failure(read(file(rupees)));
  expect(error?.message).toStartWith(
    'column "amount" marks 1 of 4 amounts as credits ("CR"), e.g. "₹2.25 Cr" (line 4): after a ' +
      'rupee amount "Cr" is also a crore (10,000,000)',
  );
  expect((error as InputError).hint).toBe(
    "if it is a crore, write the amounts as plain numbers; if a credit (a refund), pass " +
      "--credit-is return",
  );
  // Ordinary sales with the odd credit: read as before, the credit a return.
  const { log } = await read(file(csv(["25.00", "5.00", "1.00 CR", "7.50"])));
  expect(days(log)).toEqual(["a 2020-01-01 24", "b 2020-01-02 5", "b 2020-01-04 7.5"]);
  // Costa Rica's colón is no credit.
  const colon = await read(file(csv(["CRC 2500", "₡500", "CRC 1000", "CRC 700.50"])));
  expect(days(colon.log)).toHaveLength(4);
});

test("--credit-is reaches the reader from the command line", () => {
  const program = addTransactionLogOptions(new Command(), "log");
  program.parse(["--data", "x.csv", "--credit-is", "sale"], { from: "user" });
  expect(transactionLogFromCli(program.opts()).log?.creditIs).toBe("sale");
});
