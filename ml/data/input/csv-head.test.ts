import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog,
} from "../../testing/log-files.ts";
import { InputError } from "./input-error.ts";

const read = (path: string, csv: Parameters<typeof readCsvLog>[2] = {}) =>
  readCsvLog(path, {}, csv);

const HEADER = "customer_id,date,amount,note\n";
/** 30,000 plain ASCII lines: more than DuckDB's sniffer samples, so what follows is seen late. */
const ASCII = Array.from(
  { length: 30_000 },
  (_, i) => `p${i % 500},2020-01-${String((i % 28) + 1).padStart(2, "0")},1,plain\n`,
).join("");

test("a Windows-1252 export is found (even past the sniffer's sample) and read as such", async () => {
  const tail = "Müller,2020-02-01,9.5,crème brûlée €\nMüller,2020-02-03,oops,x\n";
  const cp1252 = Buffer.from(HEADER + ASCII + tail.replace("€", "\u0080"), "latin1");
  const { log, quality } = await read(file(cp1252));
  expect(days(log).filter((d) => d.startsWith("Müller"))).toEqual(["Müller 2020-02-01 9.5"]);
  expect(quality.encoding).toBe("windows-1252");
  expect(quality.skipped).toEqual({ "unreadable amount": 1 });
  expect(quality.examples).toEqual({ "unreadable amount": [30_003] });
  // Told it is UTF-8, it is read as UTF-8: the two lines are skipped, with their reason and lines.
  const strict = await read(file(cp1252), { encoding: "utf-8" });
  expect(strict.quality.skipped).toEqual({ "malformed line (invalid encoding)": 2 });
  expect(strict.quality.examples).toEqual({
    "malformed line (invalid encoding)": [30_002, 30_003],
  });
  // Bytes that are not UTF-8 in the sniffer's sample: an error naming the option.
  const early = Buffer.from(`${HEADER}Müller,2020-02-01,9.5,x\n${ASCII}`, "latin1");
  const error = await failure(read(file(early), { encoding: "utf-8" }));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain("--encoding windows-1252");
  expect(days((await read(file(early))).log)).toContain("Müller 2020-02-01 9.5");
});

test("UTF-16 with its byte-order mark (Excel's Unicode text) reads as the UTF-8 file does", async () => {
  const text =
    "customer_id\tdate\tamount\nÅsa\t2020-01-01\t5\nb\t2020-01-02\t7,5\nÅsa\t2020-01-03\t1\n";
  const utf8 = await read(file(text));
  const le = await read(
    file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])),
  );
  expect(days(le.log)).toEqual(days(utf8.log));
  expect(le.quality.encoding).toBe("utf-16");
  expect(days(le.log)).toContain("Åsa 2020-01-03 1");
});

// Big-endian UTF-16 failed with DuckDB's raw "CSV Sniffer" error even with --encoding utf-16 (its
// reader decodes little-endian only); UTF-16 without a byte-order mark failed listing column names
// full of NUL bytes, printed raw, with no word of the encoding.
test("big-endian UTF-16 reads as the UTF-8 file does; without a byte-order mark the error says to pass --encoding utf-16", async () => {
  const text = "customer_id,date,amount\nÅsa,2020-01-01,5\nb,2020-01-02,7.5\nÅsa,2020-01-03,1\n";
  const expected = days((await read(file(text))).log);
  const le = Buffer.from(text, "utf16le");
  const be = Buffer.from(le).swap16();
  const withBom = file(Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
  for (const encoding of [{}, { encoding: "utf-16" as const }]) {
    const { log, quality } = await read(withBom, encoding);
    expect(days(log)).toEqual(expected);
    expect(quality.encoding).toBe("utf-16");
  }
  for (const bytes of [le, be]) {
    const path = file(bytes);
    const error = await failure(read(path));
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).not.toContain("\u0000");
    expect(error?.message).toContain("UTF-16");
    expect((error as InputError).hint).toContain("--encoding utf-16");
    expect(days((await read(path, { encoding: "utf-16" })).log)).toEqual(expected);
  }
});

test("a report title above the header: the header is found by the column names, lines stay the file's", async () => {
  const text = [
    "Sales report;;",
    "Generated 2020-03-01 by the till",
    "",
    "customer_id;date;amount",
    "a;2020-01-01;1", // line 5
    "b;2020-01-02;x", // line 6: rejected by the reader (not a number)
    ";2020-01-03;3", // line 7: no customer
    "c;2020-01-04;4;9", // line 8: one field too many
    "d;2020-01-05;5",
  ].join("\n");
  const { log, quality } = await read(file(text));
  expect(days(log)).toEqual(["a 2020-01-01 1", "d 2020-01-05 5"]);
  expect(quality.lines_above_header).toBe(3);
  expect(quality.examples).toEqual({
    "missing customer id": [7],
    "unreadable amount": [6],
    "wrong number of columns": [8],
  });
  // Given, the count is used as it is: none leaves the title block to the reader, which fails.
  const wrong = await failure(read(file(text), { skipLines: 0 }));
  expect(wrong).toBeInstanceOf(InputError);
  const right = await read(file(text), { skipLines: 3, delimiter: ";" });
  expect(days(right.log)).toEqual(days(log));
});
