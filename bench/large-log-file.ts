// Writes a large 4-column transaction CSV (customer_id,date,quantity,amount) for the read benchmark:
// seeded, customers with a geometric number of purchases over 1997-1998, rows in date order
// (as shops export them), written in 4 MB blocks so ten million rows take seconds, not minutes.

import { createWriteStream } from "node:fs";
import { dayToIsoDate, isoDateToDay } from "../ml/data/transaction-log.ts";
import { createSeededRandom } from "../ml/random/seeded-random.ts";

export async function writeLargeLogCsv(path: string, rows: number, seed = 1): Promise<number> {
  const random = createSeededRandom(seed);
  const start = isoDateToDay("1997-01-01");
  const days = 730;
  const dates = Array.from({ length: days }, (_, d) => dayToIsoDate(start + d));
  const customers = Math.max(1, Math.round(rows / 3));
  const out = createWriteStream(path);
  const write = (text: string) =>
    new Promise<void>((resolve, reject) =>
      out.write(text, (error) => (error ? reject(error) : resolve())),
    );
  let block = "customer_id,date,quantity,amount\n";
  // Rows in date order: day d gets rows/days rows from customers drawn at random.
  for (let i = 0; i < rows; i++) {
    const d = Math.floor((i * days) / rows);
    const customer = 1 + Math.floor(random() * customers);
    const quantity = 1 + Math.floor(random() * 4);
    const cents = Math.floor(random() * 5000) + 100;
    block += `${customer},${dates[d]},${quantity},${(quantity * cents) / 100}\n`;
    if (block.length > 4_000_000) {
      await write(block);
      block = "";
    }
  }
  await write(block);
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error) => (error ? reject(error) : resolve())),
  );
  return customers;
}
