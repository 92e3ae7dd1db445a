import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize } from "../features/summaries.ts";
import { simulateBgNbd } from "./bgnbd-simulator.ts";
import { simulateParetoNbd } from "./pareto-nbd-simulator.ts";
import { writeTransactionsCsv } from "./transactions-csv-writer.ts";

/** Gauss hypergeometric 2F1(a, b; c; z) by its power series (|z| < 1). */
function hyp2f1(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 1_000_000; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    if (Math.abs(term) < 1e-15 * Math.abs(sum)) return sum;
  }
  throw new Error("2F1 series did not converge");
}

/** BG/NBD E[X(t)] (Fader, Hardie & Lee 2005, eq. 9). */
function bgNbdExpected(p: { r: number; alpha: number; a: number; b: number }, t: number): number {
  const { r, alpha, a, b } = p;
  const z = t / (alpha + t);
  return ((a + b - 1) / (a - 1)) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z));
}

/** Pareto/NBD E[X(t)] (Schmittlein, Morrison & Colombo 1987), s != 1. */
function paretoNbdExpected(p: { r: number; alpha: number; s: number; beta: number }, t: number) {
  const { r, alpha, s, beta } = p;
  return ((r * beta) / (alpha * (s - 1))) * (1 - (beta / (beta + t)) ** (s - 1));
}

function meanAndStandardError(values: Float64Array): { mean: number; se: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (values.length - 1) / values.length) };
}

function expectWithinStandardErrors(values: Float64Array, expected: number, k = 4) {
  const { mean, se } = meanAndStandardError(values);
  expect(se).toBeGreaterThan(0);
  expect(Math.abs(mean - expected)).toBeLessThan(k * se);
}

const SAME_T = {
  customers: 100_000,
  start: "2024-01-01",
  acquisitionDays: 1,
  timeUnit: "week",
} as const;

test("same seed gives the same population; another seed does not", () => {
  const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  const options = { customers: 2000, seed: 7, start: "1997-01-01", timeUnit: "week" } as const;
  const one = simulateBgNbd(params, options);
  const two = simulateBgNbd(params, options);
  const other = simulateBgNbd(params, { ...options, seed: 8 });
  expect(two.log.length).toBe(one.log.length);
  expect([...two.log.day]).toEqual([...one.log.day]);
  expect([...two.log.amount]).toEqual([...one.log.amount]);
  expect([...two.exact.x]).toEqual([...one.exact.x]);
  expect([...two.exact.tx]).toEqual([...one.exact.tx]);
  expect([...other.exact.tx]).not.toEqual([...one.exact.tx]);
});

for (const params of [
  { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, // the CDNOW fit (a < 1)
  { r: 0.8, alpha: 6, a: 1.6, b: 4 },
]) {
  test(`BG/NBD ${JSON.stringify(params)}: mean x(T) and holdout match E[X(t)]`, () => {
    const pop = simulateBgNbd(params, { ...SAME_T, seed: 11 });
    const T = pop.exact.T[0]!;
    expect(T).toBeCloseTo(272 / 7, 12);
    expectWithinStandardErrors(pop.exact.x, bgNbdExpected(params, T));
    const H = pop.exact.holdoutLength;
    const holdoutExpected = bgNbdExpected(params, T + H) - bgNbdExpected(params, T);
    expectWithinStandardErrors(pop.exact.holdoutPurchases, holdoutExpected);
  });
}

test("Pareto/NBD: mean x(T) and holdout match E[X(t)]", () => {
  const params = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };
  const pop = simulateParetoNbd(params, { ...SAME_T, seed: 12 });
  const T = pop.exact.T[0]!;
  expectWithinStandardErrors(pop.exact.x, paretoNbdExpected(params, T));
  const H = pop.exact.holdoutLength;
  const holdoutExpected = paretoNbdExpected(params, T + H) - paretoNbdExpected(params, T);
  expectWithinStandardErrors(pop.exact.holdoutPurchases, holdoutExpected);
});

test("Gamma-Gamma spend: mean amount matches p·gamma/(q − 1)", () => {
  const spend = { p: 6.25, q: 3.74, gamma: 15.44 };
  const pop = simulateParetoNbd(
    { r: 0.5, alpha: 10, s: 0.5, beta: 10 },
    { ...SAME_T, seed: 13, spend },
  );
  // First-day amounts are one i.i.d. draw per customer.
  expectWithinStandardErrors(pop.exact.firstSpend, (spend.p * spend.gamma) / (spend.q - 1));
});

test("the day-resolution log agrees with the exact summaries (merging only lowers x)", () => {
  const pop = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { customers: 20_000, seed: 5, start: "1997-01-01", timeUnit: "week" },
  );
  const days = summarize(pop.log, pop.exact.options);
  expect(days.ids).toEqual(pop.exact.ids);
  expect(days.excludedAfterCalibration).toBe(0);
  let merged = 0;
  for (let i = 0; i < days.n; i++) {
    expect(days.T[i]).toBe(pop.exact.T[i]!);
    expect(days.firstDay[i]).toBe(pop.exact.firstDay[i]!);
    const xe = pop.exact.x[i]!;
    const xd = days.x[i]!;
    expect(xd <= xe && xd > 0 === xe > 0).toBe(true);
    merged += xe - xd;
    // The last calibration purchase at time t (days) is dated f + ceil(t).
    expect(Math.round(days.tx[i]! * 7)).toBe(Math.ceil(pop.exact.tx[i]! * 7));
    expect(days.holdoutPurchases[i]!).toBeLessThanOrEqual(pop.exact.holdoutPurchases[i]!);
  }
  console.log(
    `same-day merging removed ${merged} of ${pop.exact.x.reduce((s, v) => s + v, 0)} repeat purchases`,
  );
  expect(merged).toBeGreaterThan(0); // heavy buyers do buy twice in a day sometimes
});

test("writeTransactionsCsv writes the reader's header and ISO dates, to a file or a stream", async () => {
  const pop = simulateBgNbd(
    { r: 0.8, alpha: 6, a: 1.6, b: 4 },
    { customers: 50, seed: 3, start: "2024-02-27", timeUnit: "day", acquisitionDays: 3 },
  );
  const path = join(mkdtempSync(join(tmpdir(), "sim-")), "log.csv");
  expect(await writeTransactionsCsv(pop.log, path)).toBe(pop.log.length);
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  expect(lines[0]).toBe("customer_id,date,amount");
  expect(lines.length).toBe(pop.log.length + 1);
  expect(lines[1]).toMatch(/^1,2024-02-2[789],\d+(\.\d{1,2})?$/);

  const chunks: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) });
  await writeTransactionsCsv(pop.log, sink);
  const streamed = new TextDecoder().decode(Buffer.concat(chunks));
  expect(streamed).toBe(readFileSync(path, "utf8"));
});
