// One purchase day spending a thousand times the usual one moves every customer's Gamma-Gamma
// spend forecast: the read names such days (it said nothing); ordinary logs, heavy spenders
// within that factor included, are not named.
import { expect, test } from "bun:test";
import { dataQualityTables } from "../../report/data-quality-section.ts";
import {
  tempLogFile as file,
  readCsvLog as read,
  readSimulatedOnlineRetail,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";

const date = (day: number) =>
  new Date(Date.parse("2022-01-01") + day * 86_400_000).toISOString().slice(0, 10);

/** 300 customers buying on 1–4 days for 20–59, and `extra` lines (customer, amount) added. */
function shopLog(extra: Array<[string, number]>): string {
  const lines = ["customer_id,date,amount"];
  for (let c = 1; c <= 300; c++)
    for (let k = 0; k < 1 + (c % 4); k++)
      lines.push(`${c},${date((c * 13 + k * 61) % 600)},${20 + ((c * 7 + k) % 40)}`);
  for (const [id, amount] of extra) lines.push(`${id},${date(650)},${amount}`);
  return file(`${lines.join("\n")}\n`);
}

test("a day of 1e9 among days of 20–59: named with its customer, its share and what to check", async () => {
  const { quality } = await read(shopLog([["17", 1e9]]));
  expect(quality.extreme_amounts).toMatchObject({ days: 1, largest: 1e9, customer: "17" });
  expect(quality.extreme_amounts?.median).toBeGreaterThan(20);
  expect(quality.extreme_amounts?.median).toBeLessThan(60);
  const lines = dataQualityLines(quality).join("\n");
  expect(lines).toContain("WARNING: 1 purchase day(s) spend over 1,000 times the median");
  expect(lines).toContain('the largest 1,000,000,000 by customer "17"');
  const rows = dataQualityTables(quality)[0]?.rows.map((r) => r.join(" | "));
  expect(rows).toContainEqual(expect.stringContaining("extreme amounts | WARNING"));
});

test("heavy spenders within a thousand times the median, and the simulated Online Retail export, are not named", async () => {
  expect((await read(shopLog([["big", 30_000]]))).quality.extreme_amounts).toBeUndefined();
  const retail = await readSimulatedOnlineRetail();
  expect(retail.quality.extreme_amounts).toBeUndefined();
});
