// `ml forget`'s input (arguments and a file of ids: CRLF, empty lines, duplicates, a bad id named
// by file and line) and its chunked erasure (one transaction per chunk, totals over chunks).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { CustomerFeaturesRepository } from "@pp/shared/registry/customer-features.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { customerIdsToForget, forgetInChunks } from "./forget.ts";

let dir: string;
let t: TestDatabase;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-forget-cli-"));
  t = await openTestDatabase("pglite");
}, 60_000);
afterAll(async () => {
  await t?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("ids from arguments and a file: CRLF, empty lines and duplicates handled", async () => {
  const file = join(dir, "ids.txt");
  writeFileSync(file, "c-1\r\n\r\n c-2 \nc-1\né😀\n");
  expect(await customerIdsToForget(["a", "c-1"], file)).toEqual(["a", "c-1", "c-2", "é😀"]);
});

// Read as written, a file saved by Excel ("CSV UTF-8": a byte order mark before its first id), a
// tab or a space after an id, or a zero-width space matched no stored customer (the log reader
// drops them) and was reported forgotten; UTF-16 was refused as "NUL character at index 3".
test("ids as the log reader stores them: no byte order mark, blanks or invisible characters; UTF-16 read", async () => {
  const marked = join(dir, "excel.csv");
  writeFileSync(marked, "\ufeff10\r\n11 \r\n\t12\r\n1\u200b3\r\n");
  const notes: string[] = [];
  expect(await customerIdsToForget([], marked, (line) => notes.push(line))).toEqual([
    "10",
    "11",
    "12",
    "13",
  ]);
  expect(notes).toEqual([
    "4 customer id(s) held blanks or characters no one sees (a tab, a byte order mark): read without them, as the log reader reads ids",
  ]);
  const utf16 = join(dir, "unicode.txt");
  writeFileSync(
    utf16,
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("20\r\njosé\r\n", "utf16le")]),
  );
  expect(await customerIdsToForget([], utf16)).toEqual(["20", "josé"]);
  await expect(customerIdsToForget([" "])).rejects.toThrow("customer id at argument 1 is empty");
});

test("a file in Windows-1252 is read as the log reader reads it, and said; a folder is named", async () => {
  const file = join(dir, "latin1.txt");
  // "josé" and "müller" in Windows-1252, beside a UTF-8 line.
  writeFileSync(
    file,
    Buffer.from([
      ...Buffer.from("jos"),
      0xe9,
      0x0a,
      ...Buffer.from("m"),
      0xfc,
      ...Buffer.from("ller\n"),
      ...Buffer.from("日本\n"),
    ]),
  );
  const notes: string[] = [];
  expect(await customerIdsToForget([], file, (line) => notes.push(line))).toEqual([
    "josé",
    "müller",
    "日本",
  ]);
  expect(notes).toEqual([
    `${file}: 2 line(s) not UTF-8, read as Windows-1252 as the log reader reads them (line 1, 2)`,
  ]);
  const error = await customerIdsToForget([], dir).catch((e) => e);
  expect(error.code).toBe("EISDIR");
  expect(error.path).toBe(dir);
});

test("a bad id fails the whole request, naming where it is; so does no id at all", async () => {
  const file = join(dir, "bad.txt");
  writeFileSync(file, "ok\nbad\u0000id\n");
  await expect(customerIdsToForget(["fine"], file)).rejects.toThrow(
    `customer id at ${file} line 2 contains a NUL character`,
  );
  await expect(customerIdsToForget(["\ud800"])).rejects.toThrow("argument 1 contains an unpaired");
  await expect(customerIdsToForget([])).rejects.toThrow("no customer ids");
});

test("chunks: one transaction each, totals and versions over all of them", async () => {
  const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(join(dir, "store")));
  const ids = Array.from({ length: 10 }, (_, i) => `k${i}`);
  const v1 = await registry.registerVersion("cli", registrationInput(plainCustomers(ids)));
  const v2 = await registry.registerVersion("cli", registrationInput(plainCustomers(ids)));
  const lines: string[] = [];
  const gone = await forgetInChunks(t.handle.db, ids.slice(0, 7), (l) => lines.push(l), 3);
  expect(gone).toEqual({
    versionIds: [v1.id, v2.id],
    versions: [
      { model: "cli", version: 1 },
      { model: "cli", version: 2 },
    ],
    storedRows: 14,
    decisions: 0,
    deadLetters: 0,
    forgottenBefore: { customers: 0, lastAt: null },
  });
  expect(lines).toEqual([
    "forgot customers 1-3 of 7",
    "forgot customers 4-6 of 7",
    "forgot customers 7-7 of 7",
  ]);
  const left = await new CustomerFeaturesRepository(t.handle.db).get(v2.id, ids);
  expect([...left.keys()].sort()).toEqual(["k7", "k8", "k9"]);
});

// A rerun of a forget that landed (killed after its COMMIT, or its output lost) found 0 rows and
// said "nothing was stored about these ids; check their spelling", as for ids never stored.
test("a rerun says which customers an earlier ml forget already erased, and when", async () => {
  const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(join(dir, "store")));
  await registry.registerVersion("again", registrationInput(plainCustomers(["r1", "r2", "r3"])));
  const first = await forgetInChunks(t.handle.db, ["r1", "r2"], () => {});
  expect(first.storedRows).toBe(2);
  expect(first.forgottenBefore).toEqual({ customers: 0, lastAt: null });
  // Chunks of one: the count and the latest time are totalled over chunks.
  const again = await forgetInChunks(t.handle.db, ["r1", "r2", "r3"], () => {}, 1);
  expect(again.storedRows).toBe(1);
  expect(again.forgottenBefore.customers).toBe(2);
  expect(again.forgottenBefore.lastAt).toBeInstanceOf(Date);
});

test("ml forget run twice as a process: the second run's note names the earlier one", async () => {
  const env = {
    DATA_DIR: join(dir, "cli-data"),
    ARTIFACT_STORE_URI: `file://${join(dir, "cli-art")}`,
  };
  const cli = join(import.meta.dirname, "../cli.ts");
  const first = await runBun(cli, ["forget", "gone-1"], env);
  expect(first.status).toBe(0);
  expect(first.stdout).toContain("note: nothing was stored about these ids");
  const second = await runBun(cli, ["forget", "gone-1", "gone-2"], env);
  expect(second.status).toBe(0);
  expect(second.stdout).toMatch(
    /note: 1 of these 2 customer\(s\) had been forgotten already: an ml forget at \d{4}-\d\d-\d\dT[\d:.]+Z erased/,
  );
  expect(second.stdout).not.toContain("nothing was stored");
}, 120_000);
