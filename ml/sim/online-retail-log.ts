// A seeded generator of an "Online Retail"-style export (InvoiceNo, StockCode, Description,
// Quantity, InvoiceDate "12/1/2010 8:26", UnitPrice, CustomerID, Country) with everything that
// makes real logs hard: several lines per invoice, several invoices a day, cancellations "C…" with
// negative quantities (some of an invoice of the log, some not), $0 lines, lines without a
// customer id, an unreadable quantity, a short line, quoted descriptions with commas and a line
// break. It returns the ground truth of what a correct reader must report.

import { csvField } from "../data/csv-quote.ts";
import { dayToIsoDate, isoDateToDay } from "../data/transaction-log.ts";
import { createSeededRandom } from "../random/seeded-random.ts";

export const ONLINE_RETAIL_HEADER = [
  "InvoiceNo",
  "StockCode",
  "Description",
  "Quantity",
  "InvoiceDate",
  "UnitPrice",
  "CustomerID",
  "Country",
] as const;

/** One export line: the eight fields as text; `short` lines lose their last field in the CSV. */
interface RetailLine {
  fields: string[];
  /** When the line was written (ms since 1970, the shop's local clock), for ordering. */
  at: number;
  short?: boolean;
  /** Why a correct reader skips the line (ground truth), if it does. */
  skip?: string;
}

interface RetailGroundTruth {
  rows_read: number;
  rows_kept: number;
  skipped: Record<string, number>;
  returns: { rows: number; amount: number; matched_orders: number };
  zero_amount_rows: number;
  /** Customers with a purchase, and those whose first purchase is on or before the calibration end. */
  customers_in_log: number;
  customers: number;
  purchase_days: number;
  first_date: string;
  last_date: string;
}

export interface RetailLog {
  lines: RetailLine[];
  truth: RetailGroundTruth;
  calibrationEnd: string;
  holdoutEnd: string;
}

const START = isoDateToDay("2010-12-01");
const END = isoDateToDay("2011-12-09");
const CALIBRATION_END = "2011-09-30";
const PRICES = [0.42, 0.85, 1.25, 1.65, 2.55, 3.39, 4.95, 7.95, 12.75];
const DESCRIPTIONS = [
  "WHITE HANGING HEART T-LIGHT HOLDER",
  "JAM MAKING SET, PRINTED",
  "RED, WHITE\nAND BLUE BUNTING",
];

/** "12/1/2010 8:26": month/day/year without padding, 24-hour clock. */
function usTimestamp(day: number, minute: number): string {
  const [y, m, d] = dayToIsoDate(day).split("-").map(Number);
  return `${m}/${d}/${y} ${Math.floor(minute / 60)}:${String(minute % 60).padStart(2, "0")}`;
}

/** The generator's running state: its random stream, the lines so far and the counts for the truth. */
interface RetailState {
  random: () => number;
  lines: RetailLine[];
  invoiceNo: number;
  /** Per customer id, the days with a purchase line. */
  purchaseDays: Map<string, Set<number>>;
  tally: {
    returns: number;
    returnAmount: number;
    matched: number;
    zero: number;
    missingId: number;
    badQuantity: number;
    short: number;
  };
}

interface Invoice {
  no: number;
  day: number;
  minute: number;
  value: number;
}

export function generateOnlineRetailLog(customers = 400, seed = 11): RetailLog {
  const state: RetailState = {
    random: createSeededRandom(seed),
    lines: [],
    invoiceNo: 536365,
    purchaseDays: new Map(),
    tally: {
      returns: 0,
      returnAmount: 0,
      matched: 0,
      zero: 0,
      missingId: 0,
      badQuantity: 0,
      short: 0,
    },
  };
  for (let c = 0; c < customers; c++) {
    const id = String(12346 + c);
    const bought = customerInvoices(state, c, id);
    // Cancellations: every 9th customer returns part of an order.
    const last = bought.at(-1);
    if (c % 9 === 3 && last) cancellation(state, id, last, c % 2 === 0);
  }
  linesToSkip(state);
  state.lines.sort((a, b) => a.at - b.at); // exports are in invoice-date order
  return {
    lines: state.lines,
    calibrationEnd: CALIBRATION_END,
    holdoutEnd: dayToIsoDate(END),
    truth: groundTruth(state),
  };
}

function pick<T>(random: () => number, xs: readonly T[]): T {
  return xs[Math.floor(random() * xs.length)]!; // xs is one of the non-empty constant lists
}

function emit(
  state: RetailState,
  fields: string[],
  day: number,
  minute: number,
  extra: Partial<RetailLine> = {},
): void {
  state.lines.push({ fields, at: day * 1440 + minute, ...extra });
}

/**
 * A BG/NBD-like buyer's invoices, each of 1-4 lines: exponential gaps (own mean 20-120 days), gone
 * after a purchase with an own probability in 0.05-0.65 (heterogeneous, as in real shops).
 */
function customerInvoices(state: RetailState, c: number, id: string): Invoice[] {
  const { random, tally } = state;
  const first = START + Math.floor(random() * (END - START) * 0.95);
  const freeOnly = c % 50 === 7; // a repeat buyer whose repeat purchases are all $0
  const bought: Invoice[] = [];
  const meanGap = 20 + random() * 100;
  const dropout = 0.05 + 0.6 * random();
  let day = first;
  for (let k = 0; day <= END && k < 40; k++) {
    if (k > 0 && random() < dropout) break;
    if (k > 0) day += Math.floor(-Math.log(1 - random()) * meanGap);
    if (day > END) break;
    const minute = 8 * 60 + Math.floor(random() * 600);
    const no = state.invoiceNo++;
    let value = 0;
    const count = 1 + Math.floor(random() * 4);
    for (let j = 0; j < count; j++) {
      const quantity = 1 + Math.floor(random() * 12);
      const price = (freeOnly && k > 0) || random() < 0.05 ? 0 : pick(random, PRICES);
      const f = [
        String(no),
        `8${5000 + j}`,
        pick(random, DESCRIPTIONS),
        String(quantity),
        usTimestamp(day, minute),
        String(price),
        id,
        "United Kingdom",
      ];
      emit(state, f, day, minute);
      if (price === 0) tally.zero++;
      value += quantity * price;
      const days = state.purchaseDays.get(id) ?? new Set<number>();
      days.add(day);
      state.purchaseDays.set(id, days);
    }
    bought.push({ no, day, minute, value });
  }
  return bought;
}

/**
 * A return of part of `order` the next day: "C" + that order's number when `byOrder` (matched by
 * order), a fresh number otherwise (netted by customer).
 */
function cancellation(state: RetailState, id: string, order: Invoice, byOrder: boolean): void {
  const no = byOrder ? `C${order.no}` : `C${state.invoiceNo++}`;
  const price = 2.55;
  const day = Math.min(END, order.day + 1);
  const fields = [
    no,
    "22960",
    "JAM MAKING SET, PRINTED",
    "-2",
    usTimestamp(day, 600),
    String(price),
    id,
    "United Kingdom",
  ];
  emit(state, fields, day, 600);
  state.tally.returns++;
  state.tally.returnAmount += 2 * price;
  if (byOrder) state.tally.matched++;
}

/** Lines a reader must skip: no customer id (guest checkouts), an unreadable quantity, a short line. */
function linesToSkip(state: RetailState): void {
  const { random, tally } = state;
  const bird = (day: number, quantity: string, customer: string, description: string) => [
    String(state.invoiceNo++),
    "84879",
    description,
    quantity,
    usTimestamp(day, 700),
    "1.69",
    customer,
    "United Kingdom",
  ];
  for (let k = 0; k < 25; k++) {
    const day = START + Math.floor(random() * (END - START));
    const fields = bird(day, "8", "", "ASSORTED COLOUR BIRD ORNAMENT");
    emit(state, fields, day, 700, { skip: "missing customer id" });
    tally.missingId++;
  }
  for (let k = 0; k < 2; k++) {
    const fields = bird(START + 40 + k, "eight", "12346", "BIRD");
    emit(state, fields, START + 40 + k, 700, { skip: "unreadable quantity" });
    tally.badQuantity++;
  }
  const fields = bird(START + 50, "1", "12347", "BIRD");
  emit(state, fields, START + 50, 700, { short: true, skip: "wrong number of columns" });
  tally.short++;
}

function groundTruth({ lines, purchaseDays, tally: t }: RetailState): RetailGroundTruth {
  const calibrationDay = isoDateToDay(CALIBRATION_END);
  let days = 0;
  let summarised = 0;
  let firstDay = Number.POSITIVE_INFINITY;
  let lastDay = Number.NEGATIVE_INFINITY;
  for (const set of purchaseDays.values()) {
    days += set.size;
    const min = Math.min(...set);
    if (min <= calibrationDay) summarised++;
    firstDay = Math.min(firstDay, min);
    lastDay = Math.max(lastDay, ...set);
  }
  const skipped = {
    "missing customer id": t.missingId,
    "unreadable quantity": t.badQuantity,
    "wrong number of columns": t.short,
  };
  const skippedTotal = t.missingId + t.badQuantity + t.short;
  return {
    rows_read: lines.length,
    rows_kept: lines.length - skippedTotal,
    skipped,
    returns: {
      rows: t.returns,
      amount: Number(t.returnAmount.toFixed(2)),
      matched_orders: t.matched,
    },
    zero_amount_rows: t.zero,
    customers_in_log: purchaseDays.size,
    customers: summarised,
    purchase_days: days,
    first_date: dayToIsoDate(firstDay),
    last_date: dayToIsoDate(lastDay),
  };
}

/**
 * The log as CSV text with a header (short lines lose their last field), and the physical line
 * numbers of the lines a reader must skip, by reason.
 */
export function onlineRetailCsv(
  log: RetailLog,
  delimiter = ",",
): { text: string; skippedLines: Record<string, number[]> } {
  const rows = [ONLINE_RETAIL_HEADER.join(delimiter)];
  const skippedLines: Record<string, number[]> = {};
  let line = 2;
  for (const l of log.lines) {
    const fields = l.short ? l.fields.slice(0, -1) : l.fields;
    const row = fields.map((f) => csvField(f, delimiter)).join(delimiter);
    if (l.skip) skippedLines[l.skip] = [...(skippedLines[l.skip] ?? []), line];
    line += 1 + (row.match(/\n/g)?.length ?? 0);
    rows.push(row);
  }
  return { text: `${rows.join("\n")}\n`, skippedLines };
}
