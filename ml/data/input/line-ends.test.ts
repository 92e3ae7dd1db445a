import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { csvHead } from "./csv-head.ts";
import { headOrTailMixLineEnds, LineEndScanner, lfCopy } from "./line-ends.ts";

const dir = mkdtempSync(join(tmpdir(), "line-ends-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const write = (bytes: string | Uint8Array, ext = "csv") => {
  const path = join(dir, `f${++files}.${ext}`);
  writeFileSync(path, bytes);
  return path;
};

test("line ends inside quoted values are not counted; a stray inch mark opens no quote", () => {
  const scanner = new LineEndScanner();
  // Excel: CRLF rows, LF (a cell's line break) inside quotes, a doubled quote.
  scanner.scan(Buffer.from('id,note\r\n1,"a\nb ""c"" d\n"\r\n2,12" pizza\r\n3,"x\r\ny"\r\n'));
  expect([scanner.crlf, scanner.lf, scanner.mixed]).toEqual([4, 0, false]);
  scanner.scan(Buffer.from("4,z\n"));
  expect(scanner.mixed).toBe(true);
});

test("mixed line ends are seen in the head or at the end; one style, or one inside quotes, is not", async () => {
  const rows = (n: number, eol: string) => "c1,2020-01-01,1.5".concat(eol).repeat(n);
  const big = 20_000; // past the 64 KiB tail and the 256 KiB head together
  const cases: Array<[string | Uint8Array, boolean, string?]> = [
    [`h\r\n${rows(3, "\n")}`, true],
    [`h\n${rows(big, "\n")}${rows(2, "\r\n")}`, true],
    [`h\r\n${rows(big, "\r\n")}${rows(2, "\n")}`, true],
    [`h\r\n${rows(big, "\r\n")}"a\nb",1\r\n`, false],
    [`h\r\n${rows(3, "\r\n")}"a\nb",1\r\n`, false],
    [`h\n${rows(big, "\n")}`, false],
    // Python's csv.writer on Windows without newline='': every line ends CR CR LF.
    [`h\r\r\n${rows(3, "\r\r\n")}`, true],
    [`h\r\n${rows(big, "\r\n")}${rows(2, "\r\r\n")}`, true],
    // A .gz's end is not read (that would decompress it all); the sniffer's failure finds it.
    [gzipSync(`h\n${rows(big, "\n")}${rows(2, "\r\n")}`), false, "csv.gz"],
  ];
  for (const [text, mixed, ext] of cases) {
    const path = write(text, ext);
    expect(await headOrTailMixLineEnds(path, await csvHead(path))).toBe(mixed);
  }
});

test("the LF copy drops only the CR of CRLFs outside quotes, also across a read's pieces", async () => {
  const MiB = 1 << 20;
  // Quoted CRLF and CR; a CRLF whose CR ends the first 1 MiB piece; a lone CR ending the second.
  const text = (eol: string, xs: number) =>
    `h${eol}"a\r\nb","c\rd"${eol}${"x".repeat(xs)}${eol}${"y".repeat(MiB - 2)}\rz\n`;
  const xs = MiB - 1 - `h\r\n"a\r\nb","c\rd"\r\n`.length;
  expect(text("\r\n", xs).indexOf("x\r\n")).toBe(MiB - 2);
  for (const [bytes, ext] of [
    [text("\r\n", xs), "csv"],
    [gzipSync(text("\r\n", xs)), "csv.gz"],
  ] as const) {
    const copy = await lfCopy(write(bytes, ext), false);
    const copied = readFileSync(copy.path, "latin1");
    await copy.remove();
    expect(copied === text("\n", xs)).toBe(true);
  }
});

test("CR CR LF line ends: the LF copy drops both CRs, also where they straddle a read's pieces", async () => {
  const MiB = 1 << 20;
  const head = 'h\r\r\n"a\r\r\nb",c\r\r\n';
  // The first 1 MiB piece ends between a line's two CRs; a lone CR inside a line stays.
  const xs = MiB - 1 - head.length;
  const text = (eol: string) =>
    `${head.replaceAll("\r\r\n", eol).replace(`"a${eol}b"`, '"a\r\r\nb"')}${"x".repeat(xs)}${eol}y\rz${eol}`;
  expect(text("\r\r\n").indexOf("x\r\r\n")).toBe(MiB - 2);
  const copy = await lfCopy(write(text("\r\r\n")), false);
  const copied = readFileSync(copy.path, "latin1");
  await copy.remove();
  expect(copied === text("\n")).toBe(true);
});

test("a Windows-1252 file's LF copy is UTF-8", async () => {
  const copy = await lfCopy(write(Buffer.from("h\r\nCaf\xe9 \x80,1\n", "latin1")), true);
  const copied = readFileSync(copy.path, "utf8");
  await copy.remove();
  expect(copied).toBe("h\nCafé €,1\n");
});
