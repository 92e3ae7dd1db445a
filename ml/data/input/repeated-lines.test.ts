import { expect, test } from "bun:test";
import { LineScanner, SeenLines } from "./repeated-lines.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

test("a line inside a quoted field spread over lines is never whole", () => {
  const text = bytes('a,1\nb,"two\nlines",2\nc,"x ""q"" y",3\n\n');
  const seen: [string, boolean][] = [];
  new LineScanner().scan(text, (start, end, whole) => {
    seen.push([new TextDecoder().decode(text.subarray(start, end)), whole]);
  });
  expect(seen).toEqual([
    ["a,1", true],
    ['b,"two', false],
    ['lines",2', false],
    ['c,"x ""q"" y",3', true],
    ["", false],
  ]);
});

test("fingerprints of 200,000 lines: each found in its file once read, none before, none invented", () => {
  const set = new SeenLines();
  const lines = Array.from({ length: 200_000 }, (_, i) =>
    bytes(`customer-${i},2020-01-01,${i % 97}`),
  );
  // New in file 0: none was seen before.
  for (const line of lines) expect(set.firstSeenIn(line, 0, line.length, 0)).toBe(0);
  let found = 0;
  for (const line of lines) if (set.firstSeenIn(line, 0, line.length, 1) === 0) found++;
  expect(found).toBe(200_000); // read again in file 1: each one file 0's
  const other = bytes("customer-200000,2020-01-01,1");
  expect(set.firstSeenIn(other, 0, other.length, 1)).toBe(1);
  expect(set.firstSeenIn(lines[7] as Uint8Array, 0, (lines[7] as Uint8Array).length, 2)).toBe(0);
});

test("a number with trailing decimal zeros is the same number: 13085.0 and 13085, 10.50 and 10.5", () => {
  const set = new SeenLines();
  const seenIn = (text: string, file: number) => {
    const line = bytes(text);
    return set.firstSeenIn(line, 0, line.length, file);
  };
  seenIn("536365,13085.0,2010-12-01 08:26,10.50,6", 0);
  seenIn('536366,"17850.00",2010-12-01 08:28,3.0', 0);
  // The overlapping export writes the ids as integers and the prices without trailing zeros.
  expect(seenIn("536365,13085,2010-12-01 08:26,10.5,6", 1)).toBe(0);
  expect(seenIn('536366,"17850",2010-12-01 08:28,3', 1)).toBe(0);
  // Other numbers stay other: decimals that differ, a number's own zeros, text after the dot.
  for (const other of [
    "536365,13085,2010-12-01 08:26,10.05,6",
    "536365,1308,2010-12-01 08:26,10.5,6",
    "536365,13085,2010-12-01 08:26,10.5,60",
    "536365,13085.0x,2010-12-01 08:26,10.5,6",
    "536365,13085,2010-12-01 08:26,105,6",
  ]) {
    expect(seenIn(other, 1)).toBe(1);
  }
});
