// `ml models` shows `ml track` results beside each version: per forecaster, the realized/forecast
// ratio of its latest tracking window, e.g. "to 1998-06-30: gbdt 1.02, bgnbd 1.14".

import type { Database } from "@pp/shared/db/database.ts";
import { readTrackingHistory } from "@pp/shared/registry/tracking-store.ts";

/** Model version id → a short text of its latest tracking results (absent: never tracked). */
export async function trackingByVersion(db: Database): Promise<Map<number, string>> {
  const rows = await readTrackingHistory(db);
  const latest = new Map<number, { windowEnd: string; ratios: Map<string, number> }>();
  for (const row of rows) {
    let entry = latest.get(row.versionId);
    if (!entry) {
      entry = { windowEnd: row.windowEnd, ratios: new Map() };
      latest.set(row.versionId, entry);
    }
    const ratio = row.metrics.realized_to_predicted;
    if (
      row.windowEnd === entry.windowEnd &&
      !entry.ratios.has(row.forecaster) &&
      typeof ratio === "number"
    ) {
      entry.ratios.set(row.forecaster, ratio);
    }
  }
  const out = new Map<number, string>();
  for (const [id, { windowEnd, ratios }] of latest) {
    const parts = [...ratios].map(([f, r]) => `${f} ${r.toFixed(2)}`).join(", ");
    out.set(id, `to ${windowEnd}: ${parts} (realized/forecast)`);
  }
  return out;
}
