// One id holding a large share of a log's purchase days or spend, far ahead of everyone else, is
// seldom a person: guest checkouts filed under one id (WooCommerce writes 0), a shared walk-in account, a
// reseller. Modelled as one customer it becomes the shop's best, first in line for every offer,
// and it skews the fits; so the read names it and how to leave it out, and leaves the choice to
// the user (a wholesaler may be real).
import type { TransactionLog } from "../transaction-log.ts";
import { shellArgument } from "./sample-values.ts";

export interface DominantCustomer {
  id: string;
  /** The customer id column, as the user named it. */
  column: string;
  purchase_days: number;
  /** Its share of all purchase days. */
  share: number;
  /**
   * Its share of all spend: a guest account buys at most once a day in a log of purchase days, so
   * in a large shop its days are a small share even when its orders are half the shop's. Absent in
   * metrics written before it was added.
   */
  spend_share?: number;
  /** The purchase days of the customer with the next most. */
  next_most: number;
}

/** Fewer customers than this: too small a log to say one stands out. */
const MIN_CUSTOMERS = 50;
/**
 * The share of all purchase days or of all spend, and the lead in days over the next customer,
 * that make it stand out.
 */
const MIN_SHARE = 0.05;
const MIN_LEAD = 5;

/** The customer with the most purchase days when it stands out so, else null. */
export function dominantCustomer(log: TransactionLog, column: string): DominantCustomer | null {
  const customers = log.customerIds.length;
  if (customers < MIN_CUSTOMERS || log.length === 0) return null;
  const days = new Uint32Array(customers);
  const spend = new Float64Array(customers);
  let total = 0;
  for (let i = 0; i < log.length; i++) {
    const c = log.customer[i]!;
    days[c]!++;
    spend[c]! += log.amount[i]!;
    total += log.amount[i]!;
  }
  let top = 0;
  let next = 0;
  let topCustomer = 0;
  for (let c = 0; c < customers; c++) {
    const d = days[c]!;
    if (d > top) {
      next = top;
      top = d;
      topCustomer = c;
    } else if (d > next) next = d;
  }
  const share = top / log.length;
  const spendShare = total > 0 ? spend[topCustomer]! / total : 0;
  if (Math.max(share, spendShare) < MIN_SHARE || top < MIN_LEAD * next) return null;
  const id = log.customerIds[topCustomer]!;
  return { id, column, purchase_days: top, share, spend_share: spendShare, next_most: next };
}

/** A share as a whole percent, or "<1%" (a guest's days in a large shop). */
const percent = (share: number) => (share < 0.005 ? "<1%" : `${(share * 100).toFixed(0)}%`);

/** The CLI's and report's warning, with the --drop-rows option that leaves the id out. */
export function dominantCustomerWarning(d: DominantCustomer): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const arg = shellArgument(`${d.column}=${d.id}`);
  const spend = d.spend_share === undefined ? "" : ` and ${percent(d.spend_share)} of the spend`;
  return (
    `WARNING: customer "${d.id}" buys on ${n(d.purchase_days)} days, ${percent(d.share)} of all ` +
    `purchase days${spend}, and no other customer on more than ${n(d.next_most)}: an id that ` +
    `stands for guest checkouts or a shared account (WooCommerce writes 0) is modelled as one customer, the shop's ` +
    `best; if it is one, pass --drop-rows ${arg}`
  );
}
