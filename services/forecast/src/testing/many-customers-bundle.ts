// Test support: a demo model's bundle storing `n` customers (the demo's rows repeated under new
// ids), to see what a Worker does with a bundle the size of a real shop's, without training one.
import { encodeBundle } from "../model/exported-bundle.ts";
import { trainDemoBundle } from "./demo-bundle.ts";

/** The bundle files of a small demo model with `n` stored customers, ids `cust-0` … */
export async function manyCustomersBundle(n: number): Promise<Map<string, Uint8Array>> {
  const demo = await trainDemoBundle({ customers: 300, seed: 42 });
  const rows = demo.raw.customerRows;
  const customerRows = Array.from({ length: n }, (_, i) => ({
    ...(rows[i % rows.length] as (typeof rows)[number]),
    customerId: `cust-${i}`,
  }));
  return encodeBundle({ ...demo.raw, customerRows });
}
