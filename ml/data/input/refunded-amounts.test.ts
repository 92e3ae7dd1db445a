// A refund written beside its charge (Stripe's Amount Refunded) was read as nothing: a refunded
// charge counted as a purchase at its full price, without a word.
import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import { tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

/** Stripe's charges export for 30 customers, one charge each; every third partly refunded. */
function stripeCharges(): string {
  const head =
    "id,Description,Created (UTC),Amount,Amount Refunded,Currency,Converted Amount,Fee,Status,Customer ID,Customer Email,Captured,Refund Date";
  const rows = Array.from({ length: 30 }, (_, c) => {
    const amount = 20 + c;
    const refunded = c % 3 === 0 ? 5 : 0;
    const when = refunded > 0 ? "2020-02-01 10:00" : "";
    return `ch_${c},,2020-01-${String(1 + (c % 28)).padStart(2, "0")} 10:00,${amount}.00,${refunded}.00,usd,${amount}.00,0.88,Paid,cus_${c},c${c}@x.org,true,${when}`;
  });
  return [head, ...rows].join("\n");
}

const STRIPE = { customerId: "Customer ID", date: "Created (UTC)", amount: "Amount" };

test("a column of refunds beside the amounts is named, with what to pass", async () => {
  const { quality } = await read(file(stripeCharges()), { columns: STRIPE });
  expect(quality.refunded_amounts).toEqual({
    column: "Amount Refunded",
    amount: "Amount",
    sampled_rows: 30,
    refunded_rows: 10,
  });
  const warning = dataQualityLines(quality).find((l) => l.includes('"Amount Refunded"'));
  expect(warning).toContain(
    'WARNING: column "Amount Refunded" holds a refund on 10 of the first 30 rows, and "Amount" is read as charged, before its refund',
  );
  expect(warning).toContain("--drop-rows");
  const rows = dataQualityTables(quality)[0]?.rows.map((r) => r.join(" | "));
  expect(rows).toContainEqual(expect.stringContaining("refunds beside the amounts | WARNING"));
});

test("a refund column of zeros, of dates or read as the amount says nothing", async () => {
  const noRefunds = stripeCharges().replaceAll(",5.00,usd", ",0.00,usd");
  expect(
    (await read(file(noRefunds), { columns: STRIPE })).quality.refunded_amounts,
  ).toBeUndefined();
  // Magento's money with a currency sign is an amount; a date column named like a refund is not.
  const magento = [
    "ID,Purchase Date,Grand Total (Purchased),Customer Email,Refunded At,Total Refunded",
    `1,2020-01-05,"$50.00",a@x.org,2020-02-01,"$0.00"`,
    `2,2020-01-06,"$1,250.00",b@x.org,2020-02-01,"$1,250.00"`,
  ].join("\n");
  const columns = {
    customerId: "Customer Email",
    date: "Purchase Date",
    amount: "Grand Total (Purchased)",
  };
  const read2 = await read(file(magento), { columns });
  expect(read2.quality.refunded_amounts?.column).toBe("Total Refunded");
  expect(read2.quality.refunded_amounts?.refunded_rows).toBe(1);
  // Modelled by the refund column itself: nothing to say.
  const asAmount = await read(file(stripeCharges()), {
    columns: { ...STRIPE, amount: "Amount Refunded" },
  });
  expect(asAmount.quality.refunded_amounts).toBeUndefined();
});
