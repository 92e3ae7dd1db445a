import { writeLargeLogCsv } from "./bench/large-log-file.ts";
import { readTransactionLog } from "./ml/data/input/read-transaction-log.ts";
import { summarize } from "./ml/features/summaries.ts";
// await writeLargeLogCsv("/tmp/p14/m1.csv", 1_000_000);
for (let i = 0; i < 1; i++) {
let t = performance.now();
const { log } = await readTransactionLog({ source: { kind: "csv", path: "/tmp/p14/m1.csv" }, columns: { customerId: "customer_id", date: "date", amount: "amount", quantity: "quantity" } });
console.log("read", (performance.now() - t) / 1000);
t = performance.now();
summarize(log, { calibrationEnd: "1998-06-30", holdoutEnd: "1998-12-31", timeUnit: "week" });
console.log("summarize", (performance.now() - t) / 1000);
}
