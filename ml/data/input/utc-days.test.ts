// Instants read without --timezone are cut into UTC days, and the data account says so: a NOTE,
// or a WARNING when their hours say the shop is not in UTC. A New York shop's evening purchases
// (Parquet TIMESTAMPTZ, PostgreSQL timestamptz, Unix times) moved to the next day without a word.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { postgresWith, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  purchaseDays as days,
  tempLogFile as file,
  readCsvLog as read,
  writeParquet,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { readTransactionLog } from "./read-transaction-log.ts";
import { hoursSay } from "./utc-days.ts";

/** 48 purchases at 05:15–23:15 local (none at night), 2023-01-03 on, one a day; UTC instants (ms). */
function instants(offsetHours: number): number[] {
  return Array.from({ length: 48 }, (_, i) => {
    const local = Date.UTC(2023, 0, 3 + i, 5 + (i % 19), 15);
    return local - offsetHours * 3_600_000;
  });
}
const iso = (ms: number) => new Date(ms).toISOString().replace(".000", "");
/** "2023-03-01 10:15:00 -0500": the time in the shop's zone with its offset. */
function withOffset(ms: number, offsetHours: number): string {
  const local = new Date(ms + offsetHours * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
  const sign = offsetHours < 0 ? "-" : "+";
  return `${local} ${sign}${String(Math.abs(offsetHours)).padStart(2, "0")}00`;
}
const csv = (dates: string[]) =>
  file(["customer_id,date,amount", ...dates.map((d, i) => `c${i % 5},${d},${i + 1}`)].join("\n"));

const NEW_YORK = -5; // EST: the instants fall in January and February.

test("Unix times of a New York shop: UTC days, and a WARNING naming the column and --timezone", async () => {
  const { log, quality } = await read(csv(instants(NEW_YORK).map((ms) => String(ms / 1000))));
  expect(quality.date_format).toBe("epoch");
  expect(quality.utc_days).toMatchObject({ column: "date", kind: "epoch", not_utc: true });
  expect(quality.utc_days?.quiet_from).toBe(5); // 00:00–05:00 in New York
  const lines = dataQualityLines(quality).join("\n");
  expect(lines).toContain('WARNING: column "date" holds Unix times, cut into days in UTC');
  expect(lines).toContain("05:00–10:00 UTC, a shop's night at about UTC−05:00");
  expect(lines).toContain("pass --timezone <the shop's zone, e.g. Europe/London>");
  // Read as before: a purchase at 20:15 in New York is the next day in UTC.
  const zoned = await read(csv(instants(NEW_YORK).map((ms) => String(ms / 1000))), {
    timezone: "America/New_York",
  });
  expect(zoned.quality.utc_days).toBeUndefined();
  expect(days(log)).not.toEqual(days(zoned.log));
});

test("text in UTC (Z) is the same warning; text with the shop's own offset is read as written, unnamed", async () => {
  const utc = await read(csv(instants(NEW_YORK).map(iso)));
  expect(utc.quality.utc_days).toMatchObject({ kind: "utc", not_utc: true });
  const own = await read(csv(instants(NEW_YORK).map((ms) => withOffset(ms, NEW_YORK))));
  expect(own.quality.utc_days).toBeUndefined();
  expect(dataQualityLines(own.quality).join("\n")).not.toContain("--timezone");
  // As written, the shop's day: what --timezone gives the UTC text.
  const zoned = await read(csv(instants(NEW_YORK).map(iso)), { timezone: "America/New_York" });
  expect(days(own.log)).toEqual(days(zoned.log));
});

test("a shop whose hours fit UTC gets a NOTE, not a WARNING; dates at midnight UTC get nothing", async () => {
  const { quality } = await read(csv(instants(0).map(iso)));
  expect(quality.utc_days).toMatchObject({ kind: "utc", not_utc: false, night_share: 0 });
  const lines = dataQualityLines(quality).filter((l) => l.includes("--timezone"));
  expect(lines).toEqual([
    `  NOTE: column "date" holds instants (timestamps in UTC or with a time zone), cut into days in UTC (no --timezone); if the shop is not in UTC, pass --timezone <the shop's zone, e.g. Europe/London> for its own days`,
  ]);
  const midnights = instants(0).map((ms) => String(Math.floor(ms / 86_400_000) * 86_400));
  expect((await read(csv(midnights))).quality.utc_days).toBeUndefined();
  expect(
    (await read(csv(instants(0).map((ms) => iso(ms).slice(0, 10))))).quality.utc_days,
  ).toBeUndefined();
});

test("times without an offset in a column named UTC, and 12-hour times with UTC, are instants too", async () => {
  const naive = (ms: number) => iso(ms).slice(0, 19).replace("T", " ");
  const lines = instants(NEW_YORK).map((ms, i) => `c${i % 5},${naive(ms)},${i + 1}`);
  const path = file(["customer_id,Created (UTC),amount", ...lines].join("\n"));
  const columns = { customerId: "customer_id", date: "Created (UTC)", amount: "amount" };
  const named = await read(path, { columns });
  expect(named.quality.utc_days).toMatchObject({ column: "Created (UTC)", not_utc: true });
  // A column not named UTC: local times as written, nothing said.
  expect((await read(csv(instants(NEW_YORK).map(naive)))).quality.utc_days).toBeUndefined();
  const twelve = (ms: number) => {
    const d = new Date(ms);
    const h = d.getUTCHours();
    const hh = String(h % 12 === 0 ? 12 : h % 12).padStart(2, "0");
    const mm = String(d.getUTCMonth() + 1).padStart(2, "0");
    const dd = String(d.getUTCDate()).padStart(2, "0");
    return `${mm}/${dd}/${d.getUTCFullYear()} ${hh}:15:00 ${h < 12 ? "AM" : "PM"} UTC`;
  };
  const ampm = await read(csv(instants(NEW_YORK).map(twelve)));
  expect(ampm.quality.skipped).toEqual({});
  expect(ampm.quality.utc_days).toMatchObject({ not_utc: true, quiet_from: 5 });
});

test("Parquet: TIMESTAMP WITH TIME ZONE is named, a naive TIMESTAMP is not", async () => {
  const values = instants(NEW_YORK)
    .map((ms, i) => `('c${i % 5}', TIMESTAMPTZ '${iso(ms)}', ${i + 1})`)
    .join(", ");
  const dir = join(file("", "txt"), "..");
  const select = (type: string) =>
    `SELECT customer_id, CAST(date AS ${type}) AS date, amount FROM (VALUES ${values}) AS t(customer_id, date, amount)`;
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const tz = await writeParquet(join(dir, "tz.parquet"), select("TIMESTAMPTZ"));
  const naive = await writeParquet(join(dir, "naive.parquet"), select("TIMESTAMP"));
  const zoned = await readTransactionLog({ source: { kind: "parquet", path: tz }, columns });
  expect(zoned.quality.utc_days).toMatchObject({ kind: "utc", not_utc: true });
  const plain = await readTransactionLog({ source: { kind: "parquet", path: naive }, columns });
  expect(plain.quality.utc_days).toBeUndefined();
});

let database: TestDatabase;
let url: string;
beforeAll(async () => {
  database = await postgresWith(async (sql) => {
    await sql.unsafe(
      "CREATE TABLE orders (customer_id text, at timestamptz, naive timestamp, amount numeric)",
    );
    for (const [i, ms] of instants(NEW_YORK).entries()) {
      const at = iso(ms);
      await sql`INSERT INTO orders VALUES (${`c${i % 5}`}, ${at}, ${at.slice(0, 19)}, ${i + 1})`;
    }
  });
  url = database.options.databaseUrl as string;
});
afterAll(async () => {
  await database?.cleanup();
});

test("PostgreSQL: a timestamptz column is named, a timestamp column is not", async () => {
  const read = (date: string, timezone?: string) =>
    readTransactionLog({
      source: { kind: "postgres", url, table: "orders" },
      columns: { customerId: "customer_id", date, amount: "amount" },
      ...(timezone ? { timezone } : {}),
    });
  expect((await read("at")).quality.utc_days).toMatchObject({ column: "at", not_utc: true });
  expect((await read("naive")).quality.utc_days).toBeUndefined();
  expect((await read("at", "America/New_York")).quality.utc_days).toBeUndefined();
});

test("hoursSay: a flat day is no evidence; a night away from 00:00–05:00 UTC is", () => {
  expect(hoursSay(new Array(24).fill(10)).not_utc).toBe(false);
  const newYork = new Array(24).fill(0).map((_, h) => (h >= 5 && h < 13 ? 0 : 5));
  expect(hoursSay(newYork)).toMatchObject({ quiet_from: 5, not_utc: true });
  const few = new Array(24).fill(0).map((_, h) => (h === 1 ? 3 : 0));
  expect(hoursSay(few).not_utc).toBe(false); // 3 lines say nothing
});

test("dates stored as instants at midnight UTC, a few lines with a time: their midnights are no night hours", async () => {
  // 95 days stored as midnight UTC (a date kept as a timestamp), 5 purchases timed in the
  // afternoon UTC: the midnights said "95% at 00:00–05:00 UTC, a shop's night at about UTC−01:00".
  const dates = Array.from({ length: 100 }, (_, i) => {
    const day = new Date(Date.UTC(2023, 0, 3 + i)).toISOString().slice(0, 10);
    return i % 20 === 0
      ? `${day}T14:${String(10 + i / 20).padStart(2, "0")}:00Z`
      : `${day}T00:00:00Z`;
  });
  const { quality } = await read(csv(dates));
  expect(quality.utc_days).toMatchObject({ kind: "utc", rows: 5, not_utc: false });
  expect(dataQualityLines(quality).join("\n")).not.toContain('WARNING: column "date" holds');
});
