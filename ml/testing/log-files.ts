// Small logs written to a temporary folder, and a log's purchase days as sortable strings: what
// the input layer's tests compare.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TransactionLog } from "../data/transaction-log.ts";
import { dayToIsoDate } from "../data/transaction-log.ts";

let dir: string | undefined;
let files = 0;

/** Writes `text` to a new file with extension `ext` and returns its path. */
export function tempLogFile(text: string | Uint8Array, ext = "csv"): string {
  dir ??= mkdtempSync(join(tmpdir(), "read-log-"));
  const path = join(dir, `log-${++files}.${ext}`);
  writeFileSync(path, text);
  return path;
}

/** Purchase days as "id date amount" strings, sorted. */
export function purchaseDays(log: TransactionLog): string[] {
  const out: string[] = [];
  for (let i = 0; i < log.length; i++) {
    out.push(`${log.customerIds[log.customer[i]!]} ${dayToIsoDate(log.day[i]!)} ${log.amount[i]}`);
  }
  return out.sort();
}
