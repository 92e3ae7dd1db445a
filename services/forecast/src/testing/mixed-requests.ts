// Test support: a deterministic mixed set of POST /forecast bodies (ids, unknown ids, summaries with
// extremes, transactions, as_of, intervals, distribution, horizons, batch sizes 1..12).

/** A small deterministic generator (mulberry32), so the set is the same on every run. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXTREME_SUMMARIES = [
  { frequency: 0, recency: 0, T: 0 },
  { frequency: 0, recency: 0, T: 52 },
  { frequency: 0, recency: 0, T: 0.5, monetary: 0 },
  { frequency: 1, recency: 52, T: 52, monetary: 10 },
  { frequency: 3, recency: 30.5, T: 52, monetary: 41.25 },
  { frequency: 50, recency: 77, T: 78, monetary: 1000 },
  { frequency: 200, recency: 100, T: 100, monetary: 5 },
  { frequency: 2, recency: 1, T: 500, monetary: 12 },
];

/** A customer given by one of its four kinds: stored id, unknown id, summary or transactions. */
function customer(rand: () => number, ids: readonly string[], k: number): Record<string, unknown> {
  const kind = rand();
  if (kind < 0.3) return { id: ids[Math.floor(rand() * ids.length)] ?? "none" };
  if (kind < 0.38) return { id: `unknown-${k}` };
  if (kind < 0.5) return { id: `e-${k}`, summary: EXTREME_SUMMARIES[k % EXTREME_SUMMARIES.length] };
  if (kind < 0.8) {
    const T = Math.round(rand() * 800) / 10;
    const recency = Math.round(rand() * T * 10) / 10;
    const frequency = recency > 0 ? 1 + Math.floor(rand() * 12) : 0;
    const monetary = rand() < 0.8 ? Math.round(rand() * 20000) / 100 : undefined;
    return {
      id: `s-${k}`,
      summary: { frequency, recency, T, ...(monetary === undefined ? {} : { monetary }) },
    };
  }
  const count = 1 + Math.floor(rand() * 6);
  const transactions = Array.from({ length: count }, () => ({
    at: `2025-${String(1 + Math.floor(rand() * 12)).padStart(2, "0")}-${String(1 + Math.floor(rand() * 28)).padStart(2, "0")}`,
    amount: Math.round(rand() * 10000) / 100,
  }));
  return { id: `t-${k}`, transactions };
}

/** `count` request bodies over the stored `ids`, mixed in kinds, horizons and options. */
export function mixedForecastRequests(ids: readonly string[], count = 320, seed = 19): unknown[] {
  const rand = generator(seed);
  const horizons = [
    { value: 39, unit: "week" },
    { value: 1, unit: "day" },
    { value: 13, unit: "week" },
    { value: 365, unit: "day" },
    { value: 260, unit: "week" },
  ];
  const bodies: unknown[] = [];
  let k = 0;
  for (let r = 0; r < count; r++) {
    const size = rand() < 0.6 ? 1 : 2 + Math.floor(rand() * 11);
    const customers = Array.from({ length: size }, () => customer(rand, ids, k++));
    const body: Record<string, unknown> = {
      horizon: horizons[r % horizons.length],
      customers,
    };
    if (rand() < 0.7) body.discount_rate = [0, 0.1, 0.35][r % 3];
    if (rand() < 0.2) body.as_of = "2025-10-01";
    if (rand() < 0.25) body.intervals = r % 2 ? [0.8, 0.95] : [0.5];
    if (rand() < 0.15) body.distribution = true;
    bodies.push(body);
  }
  return bodies;
}
