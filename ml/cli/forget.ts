// `ml forget`'s input and batching: ids from the arguments and a file (one per line), checked
// before anything is erased, then erased 10,000 customers per transaction.
import { readFile } from "node:fs/promises";
import type { Database } from "@pp/shared/db/database.ts";
import { unstorableTextProblem } from "@pp/shared/errors/storable-text.ts";
import { type ForgottenCustomers, forgetCustomers } from "@pp/shared/registry/forget-customer.ts";

/** Customers per transaction: each chunk is all or nothing, and a huge request never holds one. */
export const FORGET_CHUNK = 10_000;

/** The ids to forget, de-duplicated in order; a bad one fails the whole request, naming it. */
export async function customerIdsToForget(ids: string[], file?: string): Promise<string[]> {
  const all = ids.map((id, i) => ({ id, where: `argument ${i + 1}` }));
  if (file) {
    const lines = (await readFile(file, "utf8")).split("\n");
    lines.forEach((line, i) => {
      const id = line.endsWith("\r") ? line.slice(0, -1) : line;
      if (id !== "") all.push({ id, where: `${file} line ${i + 1}` });
    });
  }
  if (all.length === 0)
    throw new RangeError("no customer ids: pass them as arguments or --from-file FILE");
  for (const { id, where } of all) {
    const problem = unstorableTextProblem(id);
    if (problem) throw new RangeError(`customer id at ${where} ${problem}`);
  }
  return [...new Set(all.map((a) => a.id))];
}

/** Erases in chunks of `chunkSize` customers (one transaction each), reporting each chunk. */
export async function forgetInChunks(
  db: Database,
  customerIds: readonly string[],
  report: (line: string) => void,
  chunkSize = FORGET_CHUNK,
): Promise<ForgottenCustomers> {
  const total = { storedRows: 0, decisions: 0, deadLetters: 0 };
  const versionIds = new Set<number>();
  const versions = new Map<string, { model: string; version: number }>();
  for (let i = 0; i < customerIds.length; i += chunkSize) {
    const chunk = customerIds.slice(i, i + chunkSize);
    const gone = await forgetCustomers(db, chunk);
    for (const id of gone.versionIds) versionIds.add(id);
    for (const v of gone.versions) versions.set(`${v.model}\u0000${v.version}`, v);
    total.storedRows += gone.storedRows;
    total.decisions += gone.decisions;
    total.deadLetters += gone.deadLetters;
    if (customerIds.length > chunkSize) {
      report(`forgot customers ${i + 1}-${i + chunk.length} of ${customerIds.length}`);
    }
  }
  return {
    ...total,
    versionIds: [...versionIds].sort((a, b) => a - b),
    versions: [...versions.values()].sort(
      (a, b) => a.model.localeCompare(b.model) || a.version - b.version,
    ),
  };
}
