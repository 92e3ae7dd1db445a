import { expect, test } from "bun:test";
import { failureLog } from "./failure-log.ts";
import { createLogger } from "./logger.ts";

test("the same failure at every poll: one line, the driver's words; its end: one line", () => {
  const lines: Array<{ msg: string; error?: string; after?: string }> = [];
  const log = failureLog(
    createLogger({ sink: (line) => lines.push(JSON.parse(line)) }),
    "tracking metrics not read",
    "tracking metrics read again",
  );
  const refused = new Error("Failed query: select … params: purchase,production", {
    cause: new Error("connect ECONNREFUSED 127.0.0.1:5432"),
  });
  log.ok(); // nothing failed yet: nothing to say
  for (let i = 0; i < 5; i++) log.failed(refused);
  log.failed(new Error("timeout exceeded when trying to connect"));
  log.ok();
  log.ok();
  expect(lines.map((l) => [l.msg, l.error ?? l.after])).toEqual([
    ["tracking metrics not read", "connect ECONNREFUSED 127.0.0.1:5432"],
    ["tracking metrics not read", "timeout exceeded when trying to connect"],
    ["tracking metrics read again", "timeout exceeded when trying to connect"],
  ]);
  expect(JSON.stringify(lines)).not.toContain("params");
});
