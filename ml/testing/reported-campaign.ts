// Test support for the campaign learn tests: a campaign whose decisions are logged and whose
// purchases are reported, ready for `ml campaign learn` (or only decided, for a report).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Database } from "@pp/shared/db/database.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { runCampaignReport } from "../campaigns/campaign-report.ts";

/**
 * Campaign `id`: 40 customers (`<key>-0` … `<key>-39`) decided for it on 1997-10-01, half of them
 * control; treated customers buy 1–3 times, control customers 0–2 times (a spread to weigh), in
 * `<dir>/<key>.csv` (its path returned), not yet reported. `key` defaults to `id`.
 */
export async function decidedCampaign(
  db: Database,
  dir: string,
  id: string,
  key = id,
): Promise<string> {
  const customers = Array.from({ length: 40 }, (_, i) => `${key}-${i}`);
  await new DecisionLogRepository(db).insertMany(
    customers.map((c, i) =>
      campaignDecisionRow(c, new Date("1997-10-01T10:00:00Z"), {
        id,
        group: i % 2 === 0 ? "treated" : "control",
      }),
    ),
  );
  const lines = customers.flatMap((c, i) => {
    const n = (i % 2 === 0 ? 1 : 0) + (Math.floor(i / 2) % 3);
    return Array.from({ length: n }, (_, k) => `${c},1997-10-${10 + k},20`);
  });
  const csv = join(dir, `${key}.csv`);
  writeFileSync(csv, `customer_id,date,amount\n${lines.join("\n")}\n`);
  return csv;
}

/** decidedCampaign, then reported to 1997-12-31: ready for `ml campaign learn`. */
export async function reportedCampaign(
  db: Database,
  dir: string,
  id: string,
  key = id,
): Promise<void> {
  const csv = await decidedCampaign(db, dir, id, key);
  await runCampaignReport({
    db,
    campaign: id,
    data: csv,
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });
}
