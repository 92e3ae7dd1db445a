// Writes a TransactionLog as the CSV the project's reader reads (header
// `customer_id,date,amount[,quantity]`, ISO dates), to a file path or a Web WritableStream.

import { withAtomicFile } from "@pp/shared/artifacts/atomic-file.ts";
import { csvField } from "../data/csv-quote.ts";
import { dayToIsoDate, type TransactionLog } from "../data/transaction-log.ts";

const CHUNK_CHARS = 1 << 20;

/**
 * Writes the log in row order; returns the number of data rows written. A file path is written
 * atomically (atomic-file.ts): a killed run leaves the old file or none, never a part.
 */
export async function writeTransactionsCsv(
  log: TransactionLog,
  target: string | WritableStream<Uint8Array>,
): Promise<number> {
  if (typeof target === "string") {
    await withAtomicFile(target, (file) =>
      writeRows(log, async (text) => {
        await file.write(text);
      }),
    );
    return log.length;
  }
  const encoder = new TextEncoder();
  const writer = target.getWriter();
  try {
    await writeRows(log, (text) => writer.write(encoder.encode(text)));
  } finally {
    await writer.close();
  }
  return log.length;
}

/** The CSV text, in pieces of about CHUNK_CHARS. */
async function writeRows(log: TransactionLog, write: (text: string) => Promise<void>) {
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
}
