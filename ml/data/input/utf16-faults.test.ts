import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failure } from "../../testing/log-files.ts";
import { readTransactionLog } from "./read-transaction-log.ts";
import { loneSurrogateLine } from "./utf16-faults.ts";

/** UTF-16LE with its byte-order mark, `bad` (a lone high surrogate) spliced into line 6. */
function utf16WithLoneSurrogate(dir: string, name: string, littleEndian = true): string {
  const text =
    "\ufeffcustomer_id,date,amount\nc1,2020-01-01,10\nc1,2020-02-01,5\nc2,2020-01-05,7\nc3,2020-01-06,8\nc#,2020-01-07,9\nc5,2020-01-08,1\n";
  const units = [...text].map((ch) => (ch === "#" ? 0xd83d : (ch.codePointAt(0) as number)));
  const bytes = Buffer.alloc(units.length * 2);
  for (const [i, u] of units.entries()) {
    if (littleEndian) bytes.writeUInt16LE(u, i * 2);
    else bytes.writeUInt16BE(u, i * 2);
  }
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// Half of a character outside the BMP (an emoji cut by a field limit) in a UTF-16 export: DuckDB
// refuses the whole file, "File is not utf-16 encoded", read alone or through a --query, and
// nothing said where; the advice was to check --delimiter, --skip-lines and --encoding.
test("a lone UTF-16 surrogate is named by its file and line, read alone or through a --query", async () => {
  const dir = mkdtempSync(join(tmpdir(), "utf16-faults-"));
  const path = utf16WithLoneSurrogate(dir, "sales.csv");
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const alone = await failure(readTransactionLog({ source: { kind: "csv", path }, columns }));
  const query = await failure(
    readTransactionLog({
      source: { kind: "query", path: dir, query: "SELECT * FROM sales" },
      columns,
    }),
  );
  for (const error of [alone, query]) {
    expect(error?.message).toContain(
      `${path}: cannot be read: line 6 holds half a UTF-16 character`,
    );
    expect(error?.message).toContain("(c\ufffd,2020-01-07,9)");
    expect(error?.message).not.toContain("--delimiter");
  }
});

test("loneSurrogateLine: the first unpaired surrogate's line, either byte order; null when none", async () => {
  const dir = mkdtempSync(join(tmpdir(), "utf16-faults-"));
  expect(await loneSurrogateLine(utf16WithLoneSurrogate(dir, "le.csv"))).toEqual({
    line: 6,
    text: "c\ufffd,2020-01-07,9",
  });
  expect(await loneSurrogateLine(utf16WithLoneSurrogate(dir, "be.csv", false))).toEqual({
    line: 6,
    text: "c\ufffd,2020-01-07,9",
  });
  const fine = join(dir, "fine.csv");
  writeFileSync(fine, Buffer.from("\ufeffa,b\n😀,1\n", "utf16le"));
  expect(await loneSurrogateLine(fine)).toBeNull();
});
