// The `forecast_tracking` table (its one owner): writes and reads `ml track` results. Also reads
// what a tracking run needs from the registry: a version's stored customer summaries and the
// production version (through customer-features.ts and model-registry.ts, those tables' owners).
// Runtime-neutral (Drizzle on whichever driver the caller opened).

import { desc, eq } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { type ForecastTrackingRow, forecastTracking } from "../db/schema.ts";
import { readAllCustomerFeatures } from "./customer-features.ts";
import { readProductionVersion } from "./model-registry.ts";

/** One forecaster's accuracy over a window, as `ml track` measures it (ml/tracking/forecast-tracking.ts). */
export interface TrackedAccuracy {
  forecaster: string;
  customers: number;
  metrics: Record<string, number>;
  segments: readonly object[];
  calibration: ReadonlyArray<{ upper: number }>;
}

export interface TrackingWindow {
  modelVersionId: number;
  /** The model's calibration end, YYYY-MM-DD (the window starts the next day). */
  windowStart: string;
  /** Last day of the window, YYYY-MM-DD, inclusive. */
  windowEnd: string;
  horizon: number;
  timeUnit: string;
}

/** Stores one row per forecaster; re-tracking the same window of a version replaces its rows. */
export async function saveTrackingResults(
  db: Database,
  window: TrackingWindow,
  results: readonly TrackedAccuracy[],
  trackedAt: Date = new Date(),
): Promise<ForecastTrackingRow[]> {
  const saved: ForecastTrackingRow[] = [];
  await db.transaction(async (tx) => {
    for (const result of results) {
      const values = {
        ...window,
        forecaster: result.forecaster,
        customers: result.customers,
        // JSON has no NaN: an undefined ratio (nothing predicted) is stored as null-free -1.
        metrics: Object.fromEntries(
          Object.entries(result.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : -1]),
        ),
        segments: result.segments as unknown as Array<Record<string, unknown>>,
        calibration: result.calibration.map((b) => ({
          ...b,
          upper: Number.isFinite(b.upper) ? b.upper : null,
        })),
        trackedAt,
      };
      const [row] = await tx
        .insert(forecastTracking)
        .values(values)
        .onConflictDoUpdate({
          target: [
            forecastTracking.modelVersionId,
            forecastTracking.forecaster,
            forecastTracking.windowEnd,
          ],
          set: {
            windowStart: values.windowStart,
            horizon: values.horizon,
            timeUnit: values.timeUnit,
            customers: values.customers,
            metrics: values.metrics,
            segments: values.segments,
            calibration: values.calibration,
            trackedAt,
          },
        })
        .returning();
      saved.push(row as ForecastTrackingRow);
    }
  });
  return saved;
}

export interface TrackingSnapshot extends ForecastTrackingRow {
  modelName: string;
  version: number;
}

/**
 * The latest tracking row per forecaster (the one with the latest window end, then the latest run)
 * of the production version of `modelName`; empty when it has none.
 */
export async function latestProductionTracking(
  db: Database,
  modelName: string,
): Promise<TrackingSnapshot[]> {
  // The version through the registry (model_versions' owner), then this table's rows of it.
  const production = await readProductionVersion(db, modelName);
  if (!production) return [];
  const rows = await db
    .select()
    .from(forecastTracking)
    .where(eq(forecastTracking.modelVersionId, production.id))
    .orderBy(desc(forecastTracking.windowEnd), desc(forecastTracking.trackedAt));
  const latest = new Map<string, TrackingSnapshot>();
  for (const row of rows) {
    if (!latest.has(row.forecaster)) {
      latest.set(row.forecaster, { ...row, modelName, version: production.version });
    }
  }
  return [...latest.values()];
}

export interface StoredCustomers {
  ids: string[];
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** Row-major feature vectors (empty when the version stored none). */
  features: Float32Array;
  featureCount: number;
}

/** Every customer's summary at the cutoff (and feature vector) stored with a version. */
export async function loadStoredCustomers(
  db: Database,
  modelVersionId: number,
): Promise<StoredCustomers> {
  const rows = await readAllCustomerFeatures(db, modelVersionId);
  const n = rows.length;
  const featureCount = rows[0]?.features.length ?? 0;
  const out: StoredCustomers = {
    ids: new Array<string>(n),
    x: new Float64Array(n),
    tx: new Float64Array(n),
    T: new Float64Array(n),
    features: new Float32Array(n * featureCount),
    featureCount,
  };
  rows.forEach((row, i) => {
    const s = row.summary as { x?: unknown; t_x?: unknown; T?: unknown };
    if (typeof s.x !== "number" || typeof s.t_x !== "number" || typeof s.T !== "number") {
      throw new Error(
        `customer_features: customer ${row.customerId} of version id ${modelVersionId} has no numeric x, t_x, T summary`,
      );
    }
    out.ids[i] = row.customerId;
    out.x[i] = s.x;
    out.tx[i] = s.t_x;
    out.T[i] = s.T;
    if (featureCount > 0 && row.features.length === featureCount) {
      out.features.set(row.features, i * featureCount);
    }
  });
  return out;
}

/** One stored tracking result, as `ml models` lists them beside each version. */
export interface TrackingHistoryRow {
  versionId: number;
  forecaster: string;
  windowEnd: string;
  metrics: Record<string, number>;
}

/** Every tracking row of every version, latest window first (then the latest run). */
export function readTrackingHistory(db: Database): Promise<TrackingHistoryRow[]> {
  return db
    .select({
      versionId: forecastTracking.modelVersionId,
      forecaster: forecastTracking.forecaster,
      windowEnd: forecastTracking.windowEnd,
      metrics: forecastTracking.metrics,
    })
    .from(forecastTracking)
    .orderBy(desc(forecastTracking.windowEnd), desc(forecastTracking.trackedAt));
}
