// The production model's customers in memory, for `{"id": ...}` lookups: a Map from id to row and
// the summaries and feature vectors in typed arrays, so a lookup never touches the database.

export interface CustomerIndexColumns {
  ids: string[];
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  monetary: Float64Array;
  /** Row-major n × featureCount, or null when the model has no stored feature vectors. */
  features: Float32Array | null;
  featureCount: number;
}

export class CustomerIndex {
  readonly n: number;
  private readonly rows = new Map<string, number>();

  constructor(readonly columns: CustomerIndexColumns) {
    const { ids, x, tx, T, monetary, features, featureCount } = columns;
    this.n = ids.length;
    if (x.length !== this.n || tx.length !== this.n || T.length !== this.n) {
      throw new Error("customer index: summary columns differ in length from the ids");
    }
    if (monetary.length !== this.n) throw new Error("customer index: monetary length differs");
    if (features && features.length !== this.n * featureCount) {
      throw new Error(
        `customer index: ${features.length} feature values for ${this.n} customers × ${featureCount}`,
      );
    }
    for (let i = 0; i < this.n; i++) {
      if (this.rows.has(ids[i] as string)) {
        throw new Error(`customer index: duplicate id ${JSON.stringify(ids[i])}`);
      }
      this.rows.set(ids[i] as string, i);
    }
  }

  /** The row of a customer, or -1. */
  rowOf(id: string): number {
    return this.rows.get(id) ?? -1;
  }

  static empty(featureCount: number): CustomerIndex {
    const none = new Float64Array(0);
    return new CustomerIndex({
      ids: [],
      x: none,
      tx: none,
      T: none,
      monetary: none,
      features: null,
      featureCount,
    });
  }
}

/** One stored row: the summary JSON the training pipeline writes, and the feature vector. */
export interface CustomerFeatureRowLike {
  customerId: string;
  summary: Record<string, unknown>;
  features: ArrayLike<number>;
}

/** Builds the index from stored rows; a row with a bad summary is named in the error. */
export function customerIndexFromRows(
  rows: readonly CustomerFeatureRowLike[],
  featureCount: number,
): CustomerIndex {
  const n = rows.length;
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  const monetary = new Float64Array(n);
  const withFeatures = n > 0 && rows.every((r) => r.features.length === featureCount);
  const features = withFeatures ? new Float32Array(n * featureCount) : null;
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i] as CustomerFeatureRowLike;
    ids[i] = row.customerId;
    const s = row.summary;
    const values = [s.x, s.t_x, s.T, s.monetary ?? 0];
    if (!values.every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new Error(`customer ${JSON.stringify(row.customerId)}: summary lacks numeric x/t_x/T`);
    }
    x[i] = s.x as number;
    tx[i] = s.t_x as number;
    T[i] = s.T as number;
    monetary[i] = (s.monetary as number | undefined) ?? 0;
    if (features) {
      const f = row.features;
      for (let j = 0; j < featureCount; j++) features[i * featureCount + j] = f[j] ?? Number.NaN;
    }
  }
  return new CustomerIndex({ ids, x, tx, T, monetary, features, featureCount });
}
