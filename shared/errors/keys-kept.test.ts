import { expect, test } from "bun:test";
import { keptEveryKey } from "./keys-kept.ts";
import { repeatedKeys } from "./repeated-keys.ts";

const kept = (text: string) => keptEveryKey(text, JSON.parse(text));

test("proves nothing dropped where no key repeats, colons in keys and values included", () => {
  expect(kept('{"a":1,"b":{"c":[1,{"d":1,"e":2}]}}')).toBe(true);
  expect(kept('{"at":"2024-01-01T10:00:00Z","k:ey":"a::b","x":[":",{"y":":"}]}')).toBe(true);
  expect(kept('[1,"a","a",{"k":"k"}]')).toBe(true);
  expect(kept('{ "a" : 1 , "b" :\n2 }')).toBe(true);
  expect(kept('{"a":"\\"}:{\\\\","b":"\\\\"}')).toBe(true);
});

test("never proves it where a key repeats, however the colons fall", () => {
  expect(kept('{"a":1,"a":2}')).toBe(false);
  expect(kept('{"a":"x:y","a":"x"}')).toBe(false);
  expect(kept('{"a":{"b":1,"c":2},"a":{"b":1}}')).toBe(false);
  expect(kept('{"b":{"c":[1,{"d":1,"d":2}]}}')).toBe(false);
  expect(kept('{"__proto__":1,"__proto__":2}')).toBe(false);
});

test("a \\u escape is left to the scan (a ':' written \\u003a is one in the value only)", () => {
  expect(kept('{"\\u0061":1}')).toBe(false);
  // With the escape a repeat would otherwise balance the count: {"a":1,"a":2,"b":"\u003a"}.
  expect(kept('{"a":1,"a":2,"b":"\\u003a"}')).toBe(false);
});

test("a body nested 100,000 levels deep is walked without recursion", () => {
  const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
  expect(kept(deep)).toBe(true);
  expect(kept(`{"a":${deep},"a":2}`)).toBe(false);
});

/** A random JSON text of small objects, arrays and strings holding ':' and quotes, some keys repeated. */
function randomText(random: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
  const strings = ["a", "b", "a:b", ":", "", 'q\\"', "\\\\", "x::y"];
  const r = random();
  if (depth > 3 || r < 0.3) return pick([`"${pick(strings)}"`, "1", "null", "true", "-2.5e3"]);
  if (r < 0.5) {
    const n = Math.floor(random() * 4);
    return `[${Array.from({ length: n }, () => randomText(random, depth + 1)).join(",")}]`;
  }
  const n = Math.floor(random() * 4);
  const entries = Array.from(
    { length: n },
    () => `"${pick(strings)}" :${randomText(random, depth + 1)}`,
  );
  return `{${entries.join(",")}}`;
}

test("agrees with the scan on 5,000 random texts: proven kept only where the scan finds no repeat", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let proven = 0;
  let repeated = 0;
  for (let i = 0; i < 5000; i++) {
    const text = randomText(random);
    const scanFinds = repeatedKeys(text).length > 0;
    if (scanFinds) repeated++;
    if (kept(text)) {
      proven++;
      expect(scanFinds, text).toBe(false);
    } else expect(scanFinds, text).toBe(true); // no \u escapes here: only a repeat fails it
  }
  // Both kinds occur, so the agreement is not vacuous.
  expect(proven).toBeGreaterThan(1000);
  expect(repeated).toBeGreaterThan(200);
});
