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
