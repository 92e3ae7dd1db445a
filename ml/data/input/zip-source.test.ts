import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import JSZip from "jszip";
import { readLog } from "../../pipelines/read-log.ts";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { BadRowError } from "../bad-rows.ts";
import { InputError } from "./input-error.ts";

const CSV =
  "customer_id,date,amount\na,2020-01-01,5\nb,2020-01-02,3\n,2020-01-03,1\na,2020-01-09,2\n";

async function zipOf(entries: Record<string, string | Uint8Array>): Promise<string> {
  const zip = new JSZip();
  for (const [name, body] of Object.entries(entries)) zip.file(name, body);
  return file(await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" }), "zip");
}

const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith("pp-zip-")).length;

test("a .zip holding one log (a Kaggle download) reads as that file; errors name the entry", async () => {
  const before = leftovers();
  const zipped = await zipOf({
    "__MACOSX/._online.csv": "resource fork",
    "README.txt.md": "about this dataset",
    "data/online.csv": CSV,
  });
  const plain = await read(file(CSV));
  const inside = await read(zipped);
  expect(days(inside.log)).toEqual(days(plain.log));
  expect(inside.quality).toEqual(plain.quality);
  const error = await failure(read(zipped, { onBadRow: "fail" }));
  expect(error).toBeInstanceOf(BadRowError);
  expect(error?.message).toBe(
    `${zipped} (data/online.csv): line 4, field "customer_id": missing customer id; 1 row has ` +
      "this problem (1 bad row in all): leave out --on-bad-row fail to skip them and count them in the account",
  );
  // JSON inside is read as JSON, by the entry's extension.
  const ndjson = '{"customer_id": "a", "date": "2020-01-01", "amount": 5}\n';
  expect(days((await read(await zipOf({ "orders.ndjson": ndjson }))).log)).toEqual([
    "a 2020-01-01 5",
  ]);
  // An entry named to climb out of the folder (zip slip) and quoted: extracted by its base name.
  const sly = await zipOf({ '../pp-zip-slip/it\'s "a" log.csv': CSV });
  expect(days((await read(sly)).log)).toEqual(days(plain.log));
  expect(readdirSync(tmpdir()).filter((n) => n === "pp-zip-slip")).toEqual([]);
  expect(leftovers()).toBe(before);
});

test("the CDNOW master file zipped, as it is handed out, reads with --format cdnow", async () => {
  const text = readFileSync(join(import.meta.dir, "../fixtures/cdnow-master-layout.txt"));
  const zipped = await zipOf({ "CDNOW_master.txt": text });
  const plain = await readLog({
    path: join(import.meta.dir, "../fixtures/cdnow-master-layout.txt"),
    format: "cdnow",
  });
  const inside = await readLog({ path: zipped, format: "cdnow" });
  expect(days(inside.log)).toEqual(days(plain.log));
  expect(inside.log.length).toBeGreaterThan(0);
});

test("a .zip with several data files, none, or cut short is an InputError listing what it holds", async () => {
  const two = await zipOf({ "2020-01.csv": CSV, "2020-02.csv": CSV });
  const none = await zipOf({ "notes.md": "nothing here" });
  const whole = readFileSync(two);
  const cut = file(whole.subarray(0, whole.length - 30), "zip");
  const messages: string[] = [];
  for (const path of [two, none, cut]) {
    const error = await failure(read(path));
    expect(error).toBeInstanceOf(InputError);
    messages.push(error?.message ?? "");
  }
  expect(messages[0]).toContain(
    `${two}: holds 2 data files (2020-01.csv, 2020-02.csv); --data reads one`,
  );
  expect(messages[0]).toContain("unzip it and pass the folder with --data");
  expect(messages[1]).toContain(`${none}: holds no data file (it holds notes.md)`);
  expect(messages[2]).toContain(`${cut}: cannot be read as .zip: it is not a whole zip archive`);
});
