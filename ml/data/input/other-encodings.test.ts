import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { InputError } from "./input-error.ts";

// Bytes written by Python's str.encode (the test writes the file a Taiwanese or Japanese shop's
// system would): 許功蓋 each end in 0x5C, a backslash byte.
const BIG5: Record<string, string> = {
  日期: "a4e9b4c1",
  顧客ID: "c555abc84944",
  商品名稱: "b0d3ab7ea657bad9",
  金額: "aaf7c342",
  許功蓋: "b35ca55cbb5c",
};
const SHIFT_JIS: Record<string, string> = {
  顧客: "8cda8b71",
  山田: "8e529363",
  日付: "93fa9574",
  金額: "8be08a7a",
};

/** `text` with every word of `table` written in its encoding's bytes. */
function encoded(text: string, table: Record<string, string>): Buffer {
  const words = Object.keys(table).sort((a, b) => b.length - a.length);
  const parts: Buffer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const word = words.find((w) => rest.startsWith(w));
    parts.push(word ? Buffer.from(table[word] as string, "hex") : Buffer.from(rest[0] as string));
    rest = rest.slice(word ? word.length : 1);
  }
  return Buffer.concat(parts);
}

const big5Log = encoded(
  "日期;顧客ID;商品名稱;金額\r\n2021-01-05;c1;許功蓋;10\r\n2021-02-05;c1;許功蓋;12.5\r\n2021-01-09;c2;許功蓋;7\r\n",
  BIG5,
);
const big5Columns = { customerId: "顧客ID", date: "日期", amount: "金額" };

test("a Big5 export: its header read as Windows-1252 names --encoding big5, which reads it", async () => {
  const path = file(big5Log);
  // Before: the columns listed were mojibake (ÅU«ÈID…), with no word of the encoding.
  const asked = await failure(read(path, { columns: big5Columns }));
  expect(asked).toBeInstanceOf(InputError);
  expect(asked?.message).toContain("header names those columns when read as big5");
  expect(asked?.message).toContain("pass --encoding big5");
  const defaults = await failure(read(path));
  expect(defaults?.message).toContain(
    "pass --encoding big5 (columns: 日期, 顧客ID, 商品名稱, 金額)",
  );
  const { log, quality } = await read(path, { columns: big5Columns }, { encoding: "big5" });
  expect(days(log)).toEqual(["c1 2021-01-05 10", "c1 2021-02-05 12.5", "c2 2021-01-09 7"]);
  expect(quality.encoding).toBe("big5");
  expect(dataQualityLines(quality).join("\n")).toContain("read as big5 (not UTF-8)");
});

test("Shift_JIS ids with mixed line ends read as the shop wrote them with --encoding shift_jis", async () => {
  const text = "顧客,日付,金額\r\n山田,2021-01-05,10\r\n山田,2021-03-01,4\nc2,2021-01-09,7\n";
  const path = file(encoded(text, SHIFT_JIS));
  const columns = { customerId: "顧客", date: "日付", amount: "金額" };
  const { log } = await read(path, { columns }, { encoding: "shift_jis" });
  expect(days(log)).toEqual(["c2 2021-01-09 7", "山田 2021-01-05 10", "山田 2021-03-01 4"]);
});

test("a Windows-1252 export's missing column is still named as before, with no encoding offered", async () => {
  // Straße and Größe decode as Big5 too (ß, ö and the letters after them are valid pairs): a
  // Latin header's accents, one or two together, are not taken for Chinese.
  for (const header of [
    "Kunde;Datum;Betrag",
    "Kundennummer;Straße;Größe;Datum",
    "N° client;Date d'achat;Montant réglé",
  ]) {
    const path = file(Buffer.from(`${header}\nJos\xe9;2021-01-05;10\n`, "latin1"));
    const error = await failure(read(path));
    expect(error?.message).toContain('there are no columns "customer_id", "date", "amount"');
    expect(error?.message).not.toContain("--encoding");
  }
});
