// The platform's metadata schema (Drizzle, PostgreSQL dialect): models and their versions, customer
// features per version, the decision log, decision policies and API keys. Driver-free on purpose.

import { sql } from "drizzle-orm";
import {
  boolean,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** Lifecycle of a model version. The database allows at most one `production` version per model. */
export const modelStage = pgEnum("model_stage", ["staging", "production", "archived"]);
export type ModelStage = (typeof modelStage.enumValues)[number];

/** One stored artifact of a model version, as recorded in `model_versions.artifacts`. */
export interface ArtifactEntry {
  name: string;
  uri: string;
  sha256: string;
  bytes: number;
}

/** The training data window of a version (dates `YYYY-MM-DD`, inclusive). */
export interface DataWindow {
  calibrationStart?: string;
  calibrationEnd: string;
  holdoutEnd?: string;
  /** Its customer ids were read lower-cased (`ml train --ignore-id-case`): so are they stored. */
  idsLowerCased?: boolean;
}

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const models = pgTable("models", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique("models_name_unique"),
  createdAt: createdAt(),
});

export const modelVersions = pgTable(
  "model_versions",
  {
    id: serial("id").primaryKey(),
    modelId: integer("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    stage: modelStage("stage").notNull().default("staging"),
    /** Directory (prefix) URI in the artifact store under which this version's files live. */
    artifactUri: text("artifact_uri").notNull(),
    /** sha256 of the manifest (manifest.json) that lists every artifact with its own sha256. */
    artifactSha256: text("artifact_sha256").notNull(),
    artifacts: jsonb("artifacts").$type<ArtifactEntry[]>().notNull(),
    timeUnit: text("time_unit").notNull(),
    calibrationEnd: date("calibration_end", { mode: "string" }).notNull(),
    holdoutEnd: date("holdout_end", { mode: "string" }),
    dataWindow: jsonb("data_window").$type<DataWindow>().notNull(),
    params: jsonb("params").$type<Record<string, unknown>>().notNull(),
    metrics: jsonb("metrics").$type<Record<string, number>>().notNull(),
    trainedAt: timestamp("trained_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    promotedAt: timestamp("promoted_at", { withTimezone: true }),
    /** Set when a rollback took it out of production: later rollbacks skip it until promoted again. */
    rolledBackAt: timestamp("rolled_back_at", { withTimezone: true }),
    /**
     * Bumped when stored customer rows of this version are erased (`ml forget`), so a service
     * holding them in memory reloads the version (its key includes this).
     */
    customersRevision: integer("customers_revision").notNull().default(0),
  },
  (t) => [
    unique("model_versions_model_version_unique").on(t.modelId, t.version),
    // The database itself guarantees a single production version per model.
    uniqueIndex("model_versions_one_production")
      .on(t.modelId)
      .where(sql`${t.stage} = 'production'`),
    index("model_versions_model_stage_idx").on(t.modelId, t.stage),
  ],
);

export const customerFeatures = pgTable(
  "customer_features",
  {
    modelVersionId: integer("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    customerId: text("customer_id").notNull(),
    summary: jsonb("summary").$type<Record<string, unknown>>().notNull(),
    features: doublePrecision("features").array().notNull(),
  },
  // The primary key doubles as the index for "features of these customers under version V".
  (t) => [primaryKey({ name: "customer_features_pk", columns: [t.modelVersionId, t.customerId] })],
);

export const decisionLog = pgTable(
  "decision_log",
  {
    decisionId: uuid("decision_id").primaryKey(),
    decidedAt: timestamp("decided_at", { withTimezone: true }).notNull().defaultNow(),
    customerId: text("customer_id").notNull(),
    inputs: jsonb("inputs").$type<Record<string, unknown>>().notNull(),
    chosenAction: text("chosen_action").notNull(),
    scores: jsonb("scores").$type<Record<string, unknown>>().notNull(),
    policyName: text("policy_name").notNull(),
    policyVersion: integer("policy_version").notNull(),
    modelName: text("model_name").notNull(),
    modelVersion: integer("model_version").notNull(),
    /** The campaign the decision belongs to (null: no campaign). */
    campaignId: text("campaign_id"),
    /** "treated" or "control" within the campaign (null: no campaign). */
    assignmentGroup: text("assignment_group"),
    /** The action the policy picked for the customer, also for control customers (who get none). */
    wouldHaveAction: text("would_have_action"),
    /** Whether the action was drawn by the campaign's exploration share (null: no exploration). */
    explored: boolean("explored"),
    /** Probability the logged action had under the policy with exploration (null: none). */
    propensity: doublePrecision("propensity"),
  },
  (t) => [
    index("decision_log_customer_idx").on(t.customerId, t.decidedAt),
    index("decision_log_decided_at_idx").on(t.decidedAt),
    index("decision_log_campaign_idx")
      .on(t.campaignId, t.assignmentGroup)
      .where(sql`${t.campaignId} is not null`),
  ],
);

/**
 * Decision policies, versioned per name. At most ONE policy version is active in the whole
 * platform at a time (the decision service runs one policy); a partial unique index enforces it.
 */
export const policies = pgTable(
  "policies",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    version: integer("version").notNull(),
    definition: jsonb("definition").$type<unknown>().notNull(),
    active: boolean("active").notNull().default(false),
    createdAt: createdAt(),
    activatedAt: timestamp("activated_at", { withTimezone: true }),
  },
  (t) => [
    unique("policies_name_version_unique").on(t.name, t.version),
    uniqueIndex("policies_one_active").on(t.active).where(sql`${t.active}`),
  ],
);

/** API keys of the decision service; only a hash of each key is stored. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** What the key may do: "decide" (/decision*), "admin" (/admin/*). Older keys: decide only. */
    scopes: text("scopes").array().notNull().default(["decide"]),
    /** From this instant the key is refused (401 "expired"); null: never. Rotation sets it. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    /** The key that replaced this one in a rotation (so it is not rotated again); null: none. */
    replacedBy: integer("replaced_by"),
  },
  (t) => [uniqueIndex("api_keys_key_hash_unique").on(t.keyHash)],
);

/**
 * Production accuracy (`ml track`): a model version's forecasts for a window after its cutoff
 * compared with the purchases that happened, per forecaster (bgnbd, pareto_nbd, gbdt). One row per
 * (version, forecaster, window end); re-tracking the same window replaces it.
 */
export const forecastTracking = pgTable(
  "forecast_tracking",
  {
    id: serial("id").primaryKey(),
    modelVersionId: integer("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    forecaster: text("forecaster").notNull(),
    /** The model's calibration end (the window starts the day after). */
    windowStart: date("window_start", { mode: "string" }).notNull(),
    windowEnd: date("window_end", { mode: "string" }).notNull(),
    /** Window length in the model's time unit. */
    horizon: doublePrecision("horizon").notNull(),
    timeUnit: text("time_unit").notNull(),
    customers: integer("customers").notNull(),
    /** Overall figures: mae, rmse, bias, predicted_total, realized_total, calibration_error, ... */
    metrics: jsonb("metrics").$type<Record<string, number>>().notNull(),
    /** Per customer segment (frequency at the cutoff): customers, predicted/realized means, mae, bias. */
    segments: jsonb("segments").$type<Array<Record<string, unknown>>>().notNull(),
    /** Calibration bins by predicted value: customers, mean predicted, mean realized. */
    calibration: jsonb("calibration").$type<Array<Record<string, unknown>>>().notNull(),
    trackedAt: timestamp("tracked_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("forecast_tracking_version_forecaster_window_unique").on(
      t.modelVersionId,
      t.forecaster,
      t.windowEnd,
    ),
    index("forecast_tracking_tracked_at_idx").on(t.trackedAt),
  ],
);

/**
 * Each campaign's control share, pinned at its first decision: a customer is held out when its
 * keyed draw is below the share, so a later share would move customers between the groups the
 * measurement compares. Owner: shared/campaigns/campaign-shares.ts.
 */
export const campaignShares = pgTable("campaign_shares", {
  campaignId: text("campaign_id").primaryKey(),
  controlShare: doublePrecision("control_share").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  /** ControlAssignment.fingerprint() of the CAMPAIGN_SECRET that decides it (null: set on next use). */
  secretFingerprint: text("secret_fingerprint"),
});

/**
 * Measured campaigns (`ml campaign report`): per campaign and window end, the result JSON (per
 * action: treated vs control, incremental profit with its 95% interval, Qini curve). Re-reporting
 * the same window replaces the row. Owner: ml/campaigns/campaign-results-store.ts.
 */
export const campaignResults = pgTable(
  "campaign_results",
  {
    id: serial("id").primaryKey(),
    campaignId: text("campaign_id").notNull(),
    windowEnd: date("window_end", { mode: "string" }).notNull(),
    treated: integer("treated").notNull(),
    control: integer("control").notNull(),
    /** Total incremental profit over the measured actions (estimate), for listings; null: none measured. */
    incrementalProfit: doublePrecision("incremental_profit"),
    result: jsonb("result").$type<Record<string, unknown>>().notNull(),
    reportedAt: timestamp("reported_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("campaign_results_campaign_window_unique").on(t.campaignId, t.windowEnd),
    index("campaign_results_reported_at_idx").on(t.reportedAt),
  ],
);

/**
 * Decision log rows the database refused for their content (the decision service's writer moves
 * them here so the rows after them are written). `row_json` is the row as JSON text, in which
 * NUL and lone surrogates are escapes, so it can always be stored. Owner: services/decision audit.
 */
export const decisionLogDeadLetter = pgTable(
  "decision_log_dead_letter",
  {
    id: serial("id").primaryKey(),
    decisionId: uuid("decision_id").notNull(),
    failedAt: timestamp("failed_at", { withTimezone: true }).notNull().defaultNow(),
    /** SQLSTATE and class of the refusal, never the statement. */
    reason: text("reason").notNull(),
    rowJson: text("row_json").notNull(),
  },
  (t) => [index("decision_log_dead_letter_failed_at_idx").on(t.failedAt)],
);

/**
 * Customers erased, as sha256 of the id (hex), for a day: a decision about one of them that was
 * still being made when the erasure committed is not written after it (the decision log's insert
 * skips rows decided before `erased_at`). `forgotten`: by `ml forget` (everything stored), which a
 * registration then leaves out too; false for an erasure of decisions only (the admin route).
 * Owner: shared/registry/customer-erasures.ts.
 */
export const customerErasures = pgTable("customer_erasures", {
  customerSha256: text("customer_sha256").primaryKey(),
  erasedAt: timestamp("erased_at", { withTimezone: true }).notNull().defaultNow(),
  forgotten: boolean("forgotten").notNull().default(true),
});

/**
 * Who is publishing a model to the forecast Workers, until when: one publisher at a time per
 * model (`ml publish`, `--follow`, `ml forget --republish`), renewed while it works, taken over
 * once expired. Owner: shared/registry/publish-leases.ts.
 */
export const publishLeases = pgTable("publish_leases", {
  modelName: text("model_name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

/**
 * What the decision store has learnt about the ids it decides for, one row per setting: today
 * "ids_lower_cased", recorded once the forecast service answered from a model trained with
 * --ignore-id-case. A store kept apart from the registry (DECISION_DATA_DIR, another database)
 * holds no model versions to read that rule from. Owner: shared/registry/decision-id-case.ts.
 */
export const decisionStoreSettings = pgTable("decision_store_settings", {
  name: text("name").primaryKey(),
  value: jsonb("value").notNull(),
  recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
});

export type ModelRow = typeof models.$inferSelect;
export type ModelVersionRow = typeof modelVersions.$inferSelect;
export type CustomerFeaturesRow = typeof customerFeatures.$inferSelect;
export type DecisionLogRow = typeof decisionLog.$inferSelect;
export type NewDecisionLogRow = typeof decisionLog.$inferInsert;
export type DecisionLogDeadLetterRow = typeof decisionLogDeadLetter.$inferSelect;
export type PolicyRow = typeof policies.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ForecastTrackingRow = typeof forecastTracking.$inferSelect;
export type NewForecastTrackingRow = typeof forecastTracking.$inferInsert;
export type CampaignResultRow = typeof campaignResults.$inferSelect;
