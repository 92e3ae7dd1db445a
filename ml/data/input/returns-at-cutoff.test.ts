import { expect, spyOn, test } from "bun:test";
import type { CustomerSummaries } from "../../features/customer-summaries.ts";
import {
  buildFeatureMatrix,
  FEATURE_COUNT,
  FEATURE_LAYOUT,
  type FeatureName,
} from "../../features/feature-vector.ts";
import { summarize } from "../../features/summaries.ts";
import { tempLogFile as file, purchaseDays, readCsvLog as read } from "../../testing/log-files.ts";
import * as laterReturns from "../later-returns.ts";
import { isoDateToDay, type TransactionLog } from "../transaction-log.ts";
import type { LogColumns } from "./log-input.ts";

const ORDER_COLUMNS: LogColumns = {
  customerId: "customer",
  date: "day",
  quantity: "qty",
  price: "price",
  order: "order",
};

/** Each customer's [first day's spend, x, mean repeat spend] in `s`. */
function spendOf(s: CustomerSummaries): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  s.ids.forEach((id, i) => {
    out[id] = [s.firstSpend[i]!, s.x[i]!, s.monetary[i]!];
  });
  return out;
}

// Returns are netted into the purchase day they undo when the log is read; a summary at a cutoff
// (the calibration end, a past --as-of) used to see returns made after it: a's first purchase,
// cancelled on Jan 15, was gone from a calibration ending Jan 10, and b's Jan 6 was 18 for 30.
const LOG = [
  "order,customer,day,qty,price",
  "1,a,2020-01-01,2,10",
  "2,a,2020-01-05,1,8",
  "C1,a,2020-01-15,-2,10", // cancels order 1 in full, after the cutoff
  "3,a,2020-01-20,1,5",
  "4,b,2020-01-02,1,10",
  "5,b,2020-01-06,1,30",
  "R9,b,2020-01-12,-1,12", // no known order: nets against b's Jan 6, after the cutoff
  "11,b,2020-01-16,1,7",
  "6,c,2020-01-03,1,4",
  "C6,c,2020-01-03,-1,4", // cancelled the same day: never a purchase
  "7,c,2020-01-04,1,9",
  "8,c,2020-01-08,1,6",
  "9,d,2020-01-02,1,10",
  "10,d,2020-01-03,2,5",
  "C10,d,2020-01-07,-1,5", // half of order 10 returned before the cutoff
  "12,e,2020-01-02,1,7",
  "C12,e,2020-01-14,-1,7", // e's only purchase, cancelled after the cutoff: e bought by then
].join("\n");

const WINDOW = { calibrationEnd: "2020-01-10", holdoutEnd: "2020-01-31", timeUnit: "day" } as const;

test("a summary at a cutoff nets only the returns made by then, by order or not", async () => {
  const { log } = await read(file(LOG), { columns: ORDER_COLUMNS, cancelPattern: "^C" });
  const s = summarize(log, WINDOW);
  expect(spendOf(s)).toEqual({
    a: [20, 1, 8], // Jan 1 still bought on Jan 10
    b: [10, 1, 30], // Jan 6 not yet returned
    c: [9, 1, 6],
    d: [10, 1, 5],
    e: [7, 0, 0],
  });
  // The holdout's actuals are what happened in it, as read.
  expect([...s.holdoutPurchases]).toEqual([1, 1, 0, 0, 0]);
  expect([...s.holdoutSpend]).toEqual([5, 7, 0, 0, 0]);
  // The features at the cutoff see the same purchases.
  const btyd = {
    bgnbd: { r: 1, alpha: 1, a: 1, b: 1 },
    paretoNbd: { r: 1, alpha: 1, s: 1, beta: 1 },
  };
  const options = { cutoffDay: isoDateToDay(WINDOW.calibrationEnd), timeUnit: "day" as const };
  const X = buildFeatureMatrix(log, s, { ...options, horizon: 21, btyd });
  const at = (row: number, name: FeatureName) =>
    X[row * FEATURE_COUNT + FEATURE_LAYOUT.names.indexOf(name)];
  expect([at(0, "x"), at(0, "first_spend"), at(1, "monetary")]).toEqual([1, 20, 30]);
});

test("as of the log's last day, summaries are those of the log as read", async () => {
  const { log, quality } = await read(file(LOG), { columns: ORDER_COLUMNS, cancelPattern: "^C" });
  expect(purchaseDays(log)).toEqual([
    "a 2020-01-05 8",
    "a 2020-01-20 5",
    "b 2020-01-02 10",
    "b 2020-01-06 18",
    "b 2020-01-16 7",
    "c 2020-01-04 9",
    "c 2020-01-08 6",
    "d 2020-01-02 10",
    "d 2020-01-03 5",
  ]);
  expect(spendOf(summarize(log, { calibrationEnd: "2020-01-20", timeUnit: "day" }))).toEqual({
    a: [8, 1, 5],
    b: [10, 2, 12.5],
    c: [9, 1, 6],
    d: [10, 1, 5],
  });
  // The account is the read's, whatever the cutoff.
  expect(quality.returns).toEqual({
    rows: 5,
    amount: 48,
    mode: "net",
    matched_orders: 4,
    unmatched: 0,
    cancelled_purchase_days: 3,
  });
  expect(quality.purchase_days).toBe(9);
  expect(quality.customers_in_log).toBe(4);
});

test("without an order column, a later return lowers its day only from its own date", async () => {
  const text = [
    "customer_id,date,amount",
    "x,2020-01-02,10",
    "x,2020-01-06,30",
    "x,2020-01-12,-30", // nets against Jan 6 (the latest day on or before it): 0
    "x,2020-01-14,4",
  ].join("\n");
  const { log } = await read(file(text));
  expect(purchaseDays(log)).toEqual(["x 2020-01-02 10", "x 2020-01-06 0", "x 2020-01-14 4"]);
  expect(spendOf(summarize(log, WINDOW))).toEqual({ x: [10, 1, 30] });
  expect(spendOf(summarize(log, { ...WINDOW, calibrationEnd: "2020-01-12" }))).toEqual({
    x: [10, 1, 0],
  });
});

/** The summaries and feature matrix at WINDOW's calibration end, as training computes them. */
function trainingInputs(log: TransactionLog) {
  const s = summarize(log, WINDOW);
  const btyd = {
    bgnbd: { r: 0.5, alpha: 2, a: 0.8, b: 2.5 },
    paretoNbd: { r: 0.5, alpha: 2, s: 0.6, beta: 3 },
  };
  const cutoffDay = isoDateToDay(WINDOW.calibrationEnd);
  const X = buildFeatureMatrix(log, s, { cutoffDay, timeUnit: "day", horizon: 21, btyd });
  return { s, X };
}

test("summaries and features at a cutoff share one copy of the log as known at it", async () => {
  const { log } = await read(file(LOG), { columns: ORDER_COLUMNS, cancelPattern: "^C" });
  // Each from its own log object, so neither can reuse a copy made for another.
  const apart = { s: summarize({ ...log }, WINDOW), X: trainingInputs({ ...log }).X };
  const spy = spyOn(laterReturns, "knownAt");
  try {
    const { s, X } = trainingInputs(log);
    // The same numbers, to the byte.
    expect(s).toEqual(apart.s);
    expect(X).toEqual(apart.X);
    // Asked twice at the same cutoff (summarize, then buildFeatureMatrix): one copy, given twice.
    const given = spy.mock.results.map((r) => r.value as TransactionLog);
    expect(given.length).toBe(2);
    expect(given[0]).not.toBe(log);
    expect(given[1]).toBe(given[0] as TransactionLog);
  } finally {
    spy.mockRestore();
  }
});

// A purchase cancelled in full the same day stays cancelled when a later return of no known order
// is netted into its day (the customer's latest purchase day on or before it): the later return
// is beyond the purchases netted against, not a reason to count the cancelled day as bought at 0.
// It had been: p's Sep 1 came back as a purchase day of spend 0 once the Sep 10 return existed.
test("a later unmatched return does not bring back a day cancelled in full", async () => {
  const text = [
    "customer_id,date,amount",
    "p,2026-09-01,25",
    "p,2026-09-01,-25", // cancels Sep 1 the same day
    "p,2026-09-10,-25", // no purchase of its own: netted against Sep 1
    "b,2026-09-01,30",
    "b,2026-09-20,10",
  ].join("\n");
  const { log, quality } = await read(file(text));
  const bought = ["b 2026-09-01 30", "b 2026-09-20 10"];
  expect(purchaseDays(log)).toEqual(bought);
  expect(quality.returns).toMatchObject({ cancelled_purchase_days: 1, excess: 25 });
  expect([quality.purchase_days, quality.customers_in_log]).toEqual([2, 1]);
  // Before the later return and after it, as in the log as read.
  for (const cutoff of ["2026-09-01", "2026-09-05", "2026-09-10", "2026-09-12"]) {
    expect(purchaseDays(laterReturns.knownAt(log, isoDateToDay(cutoff)))).toEqual(bought);
  }
});

test("with orders: a day cancelled by its order stays cancelled whatever returns come later", async () => {
  const text = [
    "order,customer,day,qty,price",
    "1,p,2026-09-01,1,25",
    "C1,p,2026-09-01,-1,25", // cancels order 1 the same day
    "2,p,2026-09-03,2,10",
    "C2,p,2026-09-06,-2,10", // cancels order 2 by its id, three days later
    "R9,p,2026-09-10,-1,25", // no known order: netted against Sep 3
    "C2,p,2026-09-12,-1,10", // order 2 returned again: more than it held
    "4,b,2026-09-02,1,30",
    "5,b,2026-09-20,1,10",
  ].join("\n");
  const { log, quality } = await read(file(text), { columns: ORDER_COLUMNS, cancelPattern: "^C" });
  const bought = ["b 2026-09-02 30", "b 2026-09-20 10"];
  expect(purchaseDays(log)).toEqual(bought);
  expect(quality.returns).toMatchObject({ cancelled_purchase_days: 2, excess: 35 });
  expect(purchaseDays(laterReturns.knownAt(log, isoDateToDay("2026-09-04")))).toEqual([
    ...bought,
    "p 2026-09-03 20",
  ]);
  for (const cutoff of ["2026-09-06", "2026-09-10", "2026-09-12", "2026-09-15"]) {
    expect(purchaseDays(laterReturns.knownAt(log, isoDateToDay(cutoff)))).toEqual(bought);
  }
});

// A return of no known order netted into a day that other returns cancel in full (its order's,
// or the same day's) had its value added to theirs: the sum no longer equalled the day's spend,
// and the cancelled day stayed a purchase of spend 0 while the purchase the return undid kept
// its full spend. It is now netted against the customer's latest purchase day that stands.
test("an unmatched return does not keep a cancelled day alive: it nets against a day that stands", async () => {
  const text = [
    "order,customer,day,qty,price",
    "o0,x,2020-01-01,1,40",
    "o1,x,2020-01-02,1,25",
    "R9,x,2020-01-02,-1,10", // no known order, sorted before the cancelling line
    "Co1,x,2020-01-02,-1,25", // cancels order 1 the same day
    "o2,w,2020-01-01,1,40",
    "o3,w,2020-01-02,1,25",
    "R8,w,2020-01-03,-1,10", // no known order, made before order 3 is cancelled
    "Co3,w,2020-01-05,-1,25", // cancels order 3 by its id
    "o4,w,2020-01-09,1,5",
  ].join("\n");
  const { log, quality } = await read(file(text), { columns: ORDER_COLUMNS, cancelPattern: "^C" });
  // The truth: x bought 40 on Jan 1 and returned 10 of it; w the same, and 5 on Jan 9.
  const truth = ["w 2020-01-01 30", "w 2020-01-09 5", "x 2020-01-01 30"];
  expect(purchaseDays(log)).toEqual(truth);
  expect(quality.returns).toMatchObject({ cancelled_purchase_days: 2 });
  const at = (cutoff: string) => purchaseDays(laterReturns.knownAt(log, isoDateToDay(cutoff)));
  // Known at a cutoff: w's order 3 stands until Jan 5, and the Jan 3 return is netted against it
  // as the log read on Jan 4 nets it (its latest purchase then), not against Jan 1.
  expect(at("2020-01-02")).toEqual(["w 2020-01-01 40", "w 2020-01-02 25", ...truth.slice(1)]);
  expect(at("2020-01-04")).toEqual(["w 2020-01-01 40", "w 2020-01-02 15", ...truth.slice(1)]);
  for (const cutoff of ["2020-01-05", "2020-01-06", "2020-01-09"])
    expect(at(cutoff)).toEqual(truth);
});

test("without orders: a return made before a customer's first purchase does not keep a day cancelled that day alive", async () => {
  const text = [
    "customer_id,date,amount",
    "y,2020-01-01,-10", // before any purchase of y: something bought before the log
    "y,2020-01-02,25",
    "y,2020-01-02,-25", // cancels Jan 2 the same day
    "z,2020-01-02,5",
  ].join("\n");
  const { log, quality } = await read(file(text));
  expect(purchaseDays(log)).toEqual(["z 2020-01-02 5"]);
  expect(quality.returns).toMatchObject({ cancelled_purchase_days: 1 });
  expect(quality.customers_in_log).toBe(1);
  for (const cutoff of ["2020-01-01", "2020-01-02", "2020-01-03"]) {
    expect(purchaseDays(laterReturns.knownAt(log, isoDateToDay(cutoff)))).toEqual([
      "z 2020-01-02 5",
    ]);
  }
});

// A cutoff on or after the log's last purchase day sees the log as read (every return known).
// That day was the last one left standing: when the log's last purchase was cancelled, a cutoff
// between the last standing day and it saw returns not yet made (w's Jan 1 read 20 at Jan 5 for
// a return made Jan 6; a's Jan 1 read 0 at Jan 1 for one made Jan 6), as if the log ended there.
test("a cutoff before the log's last purchase, cancelled in full, sees only the returns made by then", async () => {
  const withOrders = [
    "order,customer,day,qty,price",
    "o1,w,2020-01-01,2,15",
    "Co1,w,2020-01-06,-1,10", // returns part of order 1
    "o2,w,2020-01-09,1,25",
    "Co2,w,2020-01-12,-1,25", // cancels the log's last purchase, three days later
  ].join("\n");
  const w = await read(file(withOrders), { columns: ORDER_COLUMNS, cancelPattern: "^C" });
  const wAt = (cutoff: string) => purchaseDays(laterReturns.knownAt(w.log, isoDateToDay(cutoff)));
  expect(purchaseDays(w.log)).toEqual(["w 2020-01-01 20"]);
  for (const cutoff of ["2020-01-01", "2020-01-05"])
    expect(wAt(cutoff)).toEqual(["w 2020-01-01 30"]);
  for (const cutoff of ["2020-01-06", "2020-01-12"])
    expect(wAt(cutoff)).toEqual(["w 2020-01-01 20"]);
  const noOrders = [
    "customer_id,date,amount",
    "a,2020-01-01,30",
    "a,2020-01-06,-30", // returns Jan 1's purchase
    "a,2020-01-09,25",
    "a,2020-01-09,-25", // the log's last purchase, cancelled the same day
  ].join("\n");
  const a = await read(file(noOrders));
  const aAt = (cutoff: string) => purchaseDays(laterReturns.knownAt(a.log, isoDateToDay(cutoff)));
  expect(purchaseDays(a.log)).toEqual(["a 2020-01-01 0"]);
  for (const cutoff of ["2020-01-01", "2020-01-05"])
    expect(aAt(cutoff)).toEqual(["a 2020-01-01 30"]);
  for (const cutoff of ["2020-01-06", "2020-01-09"])
    expect(aAt(cutoff)).toEqual(["a 2020-01-01 0"]);
});

/** Each day's spend as the log cut at `cutoff` (its lines up to it) reads: the truth then. */
async function readUpTo(text: string, cutoff: string) {
  const lines = text.split("\n");
  const kept = lines.filter((l, i) => i === 0 || (l.split(",")[2] as string) <= cutoff);
  const { log } = await read(file(kept.join("\n")), {
    columns: ORDER_COLUMNS,
    cancelPattern: "^C",
  });
  return purchaseDays(log);
}

// A return of no known order is netted against the latest purchase day on or before it; when that
// day is cancelled by its order later, the log as read moves the return to a day that stands. A
// cutoff between the two saw it moved already: w's Jan 5 read 25 and Jan 1 20 on Jan 6–7, where
// the log then read 15 and 30 (which purchase the return undid taken from a cancellation to come).
test("a return moved off a day cancelled later is netted where it was until the cancellation", async () => {
  const text = [
    "order,customer,day,qty,price",
    "o1,w,2020-01-01,1,30",
    "o2,w,2020-01-05,1,25",
    "R9,w,2020-01-06,-1,10", // no known order: netted against Jan 5
    "Co2,w,2020-01-08,-1,25", // cancels order 2: the return moves to Jan 1
    "o3,w,2020-01-20,1,7",
    "o4,v,2020-01-02,1,40",
    "o5,v,2020-01-03,1,20",
    "R8,v,2020-01-04,-1,5", // netted against Jan 3, until it is cancelled on Jan 9
    "Co5,v,2020-01-09,-1,20",
  ].join("\n");
  const { log } = await read(file(text), { columns: ORDER_COLUMNS, cancelPattern: "^C" });
  expect(purchaseDays(log)).toEqual(["v 2020-01-02 35", "w 2020-01-01 20", "w 2020-01-20 7"]);
  for (const cutoff of ["2020-01-03", "2020-01-04", "2020-01-06", "2020-01-07", "2020-01-08"]) {
    const known = purchaseDays(laterReturns.knownAt(log, isoDateToDay(cutoff)));
    const upTo = (s: string) => s.split(" ")[1]! <= cutoff;
    expect(known.filter(upTo)).toEqual(await readUpTo(text, cutoff));
  }
  expect(purchaseDays(laterReturns.knownAt(log, isoDateToDay("2020-01-07")))).toEqual([
    "v 2020-01-02 40",
    "v 2020-01-03 15",
    "w 2020-01-01 30",
    "w 2020-01-05 15",
    "w 2020-01-20 7",
  ]);
});
