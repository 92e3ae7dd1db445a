// Writes a TransactionLog as the CSV the project's reader reads (header
// `customer_id,date,amount[,quantity]`, ISO dates), to a file path or a Web WritableStream.

import { open } from "node:fs/promises";
import { csvField } from "../data/csv-quote.ts";
import { dayToIsoDate, type TransactionLog } from "../data/transaction-log.ts";

const CHUNK_CHARS = 1 << 20;

/** Writes the log in row order; returns the number of data rows written. */
export async function writeTransactionsCsv(
  log: TransactionLog,
  target: string | WritableStream<Uint8Array>,
): Promise<number> {
  const encoder = new TextEncoder();
  let write: (text: string) => Promise<void>;
  let close: () => Promise<void>;
  if (typeof target === "string") {
    const file = await open(target, "w");
    write = async (text) => {
      await file.write(text);
    };
    close = () => file.close();
  } else {
    const writer = target.getWriter();
    write = (text) => writer.write(encoder.encode(text));
    close = () => writer.close();
  }
  try {
    const { customer, day, amount, quantity } = log;
    const ids = log.customerIds.map((id) => csvField(id));
    // Dates repeat a lot: format each distinct day once.
    const dateCache = new Map<number, string>();
    let text = quantity ? "customer_id,date,amount,quantity\n" : "customer_id,date,amount\n";
    for (let i = 0; i < log.length; i++) {
      const d = day[i]!;
      let date = dateCache.get(d);
      if (date === undefined) {
        date = dayToIsoDate(d);
        dateCache.set(d, date);
      }
      text += `${ids[customer[i]!]},${date},${amount[i]}`;
      text += quantity ? `,${quantity[i]}\n` : "\n";
      if (text.length >= CHUNK_CHARS) {
        await write(text);
        text = "";
      }
    }
    if (text.length > 0) await write(text);
  } finally {
    await close();
  }
  return log.length;
}
