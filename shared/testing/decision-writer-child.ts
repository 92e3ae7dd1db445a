// Test helper run as a child process: appends decisions to the store in DATABASE_URL or DATA_DIR,
// half about customers given as kept and half about customers being erased, and after each
// append that returned prints "acked <kept> <erased>" (running totals) until it is killed.
// Usage: bun decision-writer-child.ts <kept ids file> <erased ids file> [rows per append]

import { readFileSync } from "node:fs";
import { createDatabase, databaseOptionsFromEnv } from "../db/client.ts";
import { appendDecisions } from "../registry/decision-log.ts";
import { decisionRow } from "./decision-rows.ts";

const [keptFile = "", erasedFile = "", perAppend = "50"] = process.argv.slice(2);
const ids = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);
const kept = ids(keptFile);
const erased = ids(erasedFile);
const half = Math.max(1, Math.floor(Number(perAppend) / 2));
const handle = await createDatabase(databaseOptionsFromEnv());
let keptAcked = 0;
let erasedAcked = 0;
for (let batch = 0; ; batch++) {
  const rows = [];
  for (let i = 0; i < half; i++) {
    const n = batch * half + i;
    rows.push(
      decisionRow(kept[n % kept.length] ?? "k"),
      decisionRow(erased[n % erased.length] ?? "e"),
    );
  }
  await appendDecisions(handle.db, rows);
  keptAcked += half;
  erasedAcked += half;
  process.stdout.write(`acked ${keptAcked} ${erasedAcked}\n`);
}
