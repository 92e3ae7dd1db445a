import { expect, test } from "bun:test";
import { cappedText } from "./cli.ts";

test("an unexpected error's text is capped: its head and its stack kept, the middle counted", () => {
  const params = JSON.stringify(
    Array.from({ length: 5_000 }, (_, i) => ({ customer_id: `c${i}` })),
  );
  const text = `Error: Failed query: insert …\nparams: ${params}\n    at queryWithCache (session.js:41:19)`;
  const capped = cappedText(text);
  expect(capped.length).toBeLessThan(4_100);
  expect(capped.startsWith("Error: Failed query: insert …")).toBe(true);
  expect(capped.endsWith("at queryWithCache (session.js:41:19)")).toBe(true);
  expect(capped).toContain(
    `(${(text.length - 4_000).toLocaleString("en-US")} characters left out)`,
  );
  expect(cappedText("Error: short")).toBe("Error: short");
});
