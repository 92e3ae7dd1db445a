// `ml forget`'s input and batching: ids from the arguments and a file (one per line), checked
// before anything is erased, then erased 10,000 customers per transaction.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { decisionStoreDir } from "@pp/shared/db/decision-store-dir.ts";
import { unstorableTextProblem } from "@pp/shared/errors/storable-text.ts";
import { type ForgottenCustomers, forgetCustomers } from "@pp/shared/registry/forget-customer.ts";
import { visibleId } from "../data/input/customer-id-format.ts";
import { LineByLineDecoder } from "../data/input/line-encodings.ts";
import { openRegistryFromEnv } from "../pipelines/open-registry.ts";
import { forgetInScoreTables, type ScoreTableErasure } from "../scoring/score-tables-erasure.ts";
import { ForgetInterruptedError, forgetInReports, type ReportErasure } from "./forget-reports.ts";

/** Customers per transaction: each chunk is all or nothing, and a huge request never holds one. */
export const FORGET_CHUNK = 10_000;

/**
 * The ids to forget, de-duplicated in order; a bad one fails the whole request, naming it. A
 * file's lines are decoded as the log reader decodes them (UTF-8, else Windows-1252, line by
 * line), so an id list saved in a Windows export's encoding names the customers training stored:
 * read as UTF-8, "josé" became "jos\uFFFD", matched nothing, and was reported forgotten.
 */
export async function customerIdsToForget(
  ids: string[],
  file?: string,
  note: (line: string) => void = () => {},
): Promise<string[]> {
  const all = ids.map((id, i) => ({ id, where: `argument ${i + 1}` }));
  if (file) {
    const lines = (await readIdFile(file, note)).split("\n");
    lines.forEach((line, i) => {
      if (visibleId(line) !== "") all.push({ id: line, where: `${file} line ${i + 1}` });
    });
  }
  if (all.length === 0)
    throw new RangeError("no customer ids: pass them as arguments or --from-file FILE");
  let cleaned = 0;
  const visible = all.map(({ id, where }) => {
    const problem = unstorableTextProblem(id);
    if (problem) throw new RangeError(`customer id at ${where} ${problem}`);
    // As the log reader stores ids: a file's "12 " or a byte order mark before its first id
    // matched no customer, and was reported forgotten.
    const shown = visibleId(id);
    if (shown === "") throw new RangeError(`customer id at ${where} is empty`);
    if (shown !== id.replace(/\r$/, "")) cleaned++;
    return shown;
  });
  if (cleaned > 0) {
    note(
      `${cleaned} customer id(s) held blanks or characters no one sees (a tab, a byte order mark): read without them, as the log reader reads ids`,
    );
  }
  return [...new Set(visible)];
}

async function readIdFile(file: string, note: (line: string) => void): Promise<string> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    // Bun's EISDIR names no path: give it the file's, so the CLI says which one in one line.
    throw Object.assign(error, { path: error.path ?? file });
  });
  // UTF-16 (Excel's "Unicode text", by its byte order mark): read as such, not as Windows-1252.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return utf16Units(bytes, bytes[0] === 0xff);
  }
  const decoder = new LineByLineDecoder();
  const text = Buffer.concat([decoder.decode(bytes), decoder.end()]).toString("utf8");
  const { windows1252, examples } = decoder.seen;
  if (windows1252 > 0) {
    note(
      `${file}: ${windows1252} line(s) not UTF-8, read as Windows-1252 as the log reader reads them (line ${examples.join(", ")})`,
    );
  }
  return text;
}

/**
 * UTF-16 text after its byte order mark, unpaired surrogates kept as they are: the id check then
 * names their line. TextDecoder made each one U+FFFD: the id matched no customer, and the run
 * reported it forgotten (exit 0).
 */
function utf16Units(bytes: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  let units: number[] = [];
  for (let at = 2; at + 1 < bytes.length; at += 2) {
    units.push(view.getUint16(at, littleEndian));
    // A pair split between two parts is whole again once they are joined.
    if (units.length === 8192) {
      parts.push(String.fromCharCode(...units));
      units = [];
    }
  }
  parts.push(String.fromCharCode(...units));
  if (bytes.length % 2 === 1) parts.push("\ufffd"); // a last odd byte, as TextDecoder reads it
  return parts.join("");
}

/**
 * Erases the customers in the registry's database from the environment, and their decisions in
 * the decision service's own store when it keeps one apart (DECISION_DATA_DIR).
 */
export async function forgetFromEnv(
  customerIds: readonly string[],
  report: (line: string) => void,
): Promise<{ gone: ForgottenCustomers; reports: ReportErasure; scoreTables: ScoreTableErasure }> {
  const opened = await openRegistryFromEnv();
  let decisions: DatabaseHandle | undefined;
  try {
    const apart = separateDecisionStore(process.env);
    if (apart) {
      decisions = await createDatabase({ dataDir: apart });
      await decisions.migrate();
    }
    const gone = await forgetInChunks(opened.db, customerIds, report, FORGET_CHUNK, decisions?.db);
    // Their ids in the versions' own files: the read's warnings in metrics.json and report.html.
    const reports = await forgetInReports(opened.registry, customerIds).catch((error) => {
      if (!(error instanceof ForgetInterruptedError)) throw error;
      // What was done before the connection went: erased, committed.
      throw new ForgetInterruptedError(
        `erased ${gone.storedRows} stored row(s), ${gone.decisions} decision(s) and ${gone.deadLetters} parked decision row(s) of ${customerIds.length} customer(s), then ${error.message}`,
        { cause: error.cause },
      );
    });
    // And the rows of ml score --to tables in this same database.
    return { gone, reports, scoreTables: await forgetInScoreTables(opened.db, customerIds) };
  } finally {
    await decisions?.close();
    await opened.close();
  }
}

/**
 * Erases in chunks of `chunkSize` customers (one transaction each), reporting each chunk; with
 * `decisionStore` (separateDecisionStore's), their decisions there too, chunk by chunk.
 */
export async function forgetInChunks(
  db: Database,
  customerIds: readonly string[],
  report: (line: string) => void,
  chunkSize = FORGET_CHUNK,
  decisionStore?: Database,
): Promise<ForgottenCustomers> {
  const total = { storedRows: 0, decisions: 0, deadLetters: 0 };
  const before: ForgottenCustomers["forgottenBefore"] = { customers: 0, lastAt: null };
  const versionIds = new Set<number>();
  const versions = new Map<string, { model: string; version: number }>();
  for (let i = 0; i < customerIds.length; i += chunkSize) {
    const chunk = customerIds.slice(i, i + chunkSize);
    const gone = await forgetCustomers(db, chunk, decisionStore);
    for (const id of gone.versionIds) versionIds.add(id);
    for (const v of gone.versions) versions.set(`${v.model}\u0000${v.version}`, v);
    total.storedRows += gone.storedRows;
    total.decisions += gone.decisions;
    total.deadLetters += gone.deadLetters;
    before.customers += gone.forgottenBefore.customers;
    const at = gone.forgottenBefore.lastAt;
    if (at && (!before.lastAt || at > before.lastAt)) before.lastAt = at;
    if (customerIds.length > chunkSize) {
      report(`forgot customers ${i + 1}-${i + chunk.length} of ${customerIds.length}`);
    }
  }
  return {
    ...total,
    forgottenBefore: before,
    versionIds: [...versionIds].sort((a, b) => a - b),
    versions: [...versions.values()].sort(
      (a, b) => a.model.localeCompare(b.model) || a.version - b.version,
    ),
  };
}

/**
 * The decision service's own embedded store, when DECISION_DATA_DIR names another directory than
 * DATA_DIR's (without DATABASE_URL, where both share one database); else null. Its decisions are
 * the customers' too: `ml forget` erased DATA_DIR's store only and reported "0 decision(s)".
 */
export function separateDecisionStore(env: Record<string, string | undefined>): string | null {
  if (env.DATABASE_URL?.trim()) return null;
  const store = decisionStoreDir(env);
  return store.apart ? resolve(store.dir) : null;
}
