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

test("fingerprints of 200,000 lines: each found in its file after a commit, none before, none invented", () => {
  const set = new SeenLines();
  const lines = Array.from({ length: 200_000 }, (_, i) =>
    bytes(`customer-${i},2020-01-01,${i % 97}`),
  );
  for (const line of lines) expect(set.check(line, 0, line.length)).toBe(-1);
  set.commit(0);
  let found = 0;
  for (const line of lines) if (set.check(line, 0, line.length) === 0) found++;
  expect(found).toBe(200_000);
  set.commit(1); // already seen in file 0: stays file 0's
  const other = bytes("customer-200000,2020-01-01,1");
  expect(set.check(other, 0, other.length)).toBe(-1);
  expect(set.check(lines[7] as Uint8Array, 0, (lines[7] as Uint8Array).length)).toBe(0);
});
