// Per-model-version customer features: customer id → summary (JSON) and feature vector. Written in
// batches (inside the registration transaction) and read back in bulk by the forecast service.

import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { customerFeatures } from "../db/schema.ts";
import { RegistryInputError } from "./registry-errors.ts";

export interface CustomerFeatureInput {
  customerId: string;
  summary: Record<string, unknown>;
  features: ArrayLike<number>;
}

export interface CustomerFeatureRecord {
  summary: Record<string, unknown>;
  features: number[];
}

/** Rows per INSERT: 4 parameters a row keeps a statement well under PostgreSQL's 65535 limit. */
const WRITE_BATCH = 2000;
const READ_BATCH = 5000;

export class CustomerFeaturesRepository {
  constructor(private readonly db: Database) {}

  /** Writes all rows for a version in one transaction; returns how many were written. */
  async write(
    modelVersionId: number,
    rows: Iterable<CustomerFeatureInput> | AsyncIterable<CustomerFeatureInput>,
  ): Promise<number> {
    return this.db.transaction((tx) => writeCustomerFeatures(tx, modelVersionId, rows));
  }

  /** Features of the given customers under a version; customers without a row are absent. */
  async get(
    modelVersionId: number,
    customerIds: string[],
  ): Promise<Map<string, CustomerFeatureRecord>> {
    const found = new Map<string, CustomerFeatureRecord>();
    const unique = [...new Set(customerIds)];
    for (let i = 0; i < unique.length; i += READ_BATCH) {
      const rows = await this.db
        .select({
          customerId: customerFeatures.customerId,
          summary: customerFeatures.summary,
          features: customerFeatures.features,
        })
        .from(customerFeatures)
        .where(
          and(
            eq(customerFeatures.modelVersionId, modelVersionId),
            inArray(customerFeatures.customerId, unique.slice(i, i + READ_BATCH)),
          ),
        );
      for (const row of rows) {
        found.set(row.customerId, { summary: row.summary, features: row.features });
      }
    }
    return found;
  }
}

/** Inserts feature rows with an existing database or transaction handle (used by the registry). */
export async function writeCustomerFeatures(
  db: Database,
  modelVersionId: number,
  rows: Iterable<CustomerFeatureInput> | AsyncIterable<CustomerFeatureInput>,
): Promise<number> {
  let batch: (typeof customerFeatures.$inferInsert)[] = [];
  let written = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await db.insert(customerFeatures).values(batch);
    written += batch.length;
    batch = [];
  };
  let index = 0;
  for await (const row of rows) {
    if (typeof row.customerId !== "string" || row.customerId.length === 0) {
      throw new RegistryInputError(
        `customerFeatures[${index}].customerId`,
        "must be a non-empty string",
      );
    }
    const features = Array.from(row.features);
    if (features.some((v) => typeof v !== "number")) {
      throw new RegistryInputError(`customerFeatures[${index}].features`, "must be numbers");
    }
    batch.push({
      modelVersionId,
      customerId: row.customerId,
      summary: row.summary ?? {},
      features,
    });
    index++;
    if (batch.length >= WRITE_BATCH) await flush();
  }
  await flush();
  return written;
}
