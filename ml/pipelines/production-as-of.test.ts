// An --as-of past the log's last purchase: the served models took every customer as not having
// bought since, and the production GBDT learnt from a window with no purchase in it (a year
// late: it forecast 0.0015 purchases in 39 weeks for 1,503 customers who made ~1,000).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrainingMetricsSchema } from "../bundle/training-metrics.ts";
import { isoDateToDay } from "../data/transaction-log.ts";
import { asOfReach } from "./production-step.ts";
import { runSimulate } from "./simulate.ts";
import { runTrainPipeline } from "./train.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-as-of-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const day = isoDateToDay;

test("an --as-of a week or more past the last purchase is a warning; one whose GBDT window holds no purchase is an error", () => {
  expect(asOfReach(day("1998-06-30"), day("1998-07-03"), 273)).toBeNull();
  const late = asOfReach(day("1998-06-30"), day("1998-07-20"), 273) as string;
  expect(late).toStartWith(
    "WARNING: --as-of 1998-07-20 is 20 days after the log's last purchase (1998-06-30)",
  );
  // Without a production GBDT (no window) it is a warning however late.
  expect(asOfReach(day("1998-06-30"), day("1999-06-30"), 0)).toContain("365 days after");
  // Grouped as ml score's note is (they read "10380 days").
  expect(asOfReach(day("1998-06-30"), day("2026-11-30"), 0)).toContain("10,380 days after");
  expect(() => asOfReach(day("1998-06-30"), day("2026-11-30"), 273)).toThrow(
    "is on 1998-06-30, 10,380 days before",
  );
  expect(() => asOfReach(day("1998-06-30"), day("1999-06-30"), 273)).toThrow(
    "--as-of 1999-06-30: the log's last purchase is on 1998-06-30, 365 days before",
  );
});

test("ml train --as-of a year past the log's end fails at the production step; a few weeks past trains with the warning", async () => {
  const csv = join(dir, "log.csv");
  await runSimulate({ model: "bgnbd", customers: 400, seed: 3, out: csv });
  const train = (asOf: string) =>
    runTrainPipeline({
      data: csv,
      format: "csv",
      calibrationEnd: "1997-09-30",
      holdoutEnd: "1998-06-30",
      timeUnit: "week",
      asOf,
      out: join(dir, `out-${asOf}`),
      fast: true,
      workers: 1,
      print: () => {},
    });
  await expect(train("1999-06-30")).rejects.toThrow(/--as-of 1999-06-30: the log's last purchase/);
  await train("1998-08-15");
  const metrics = TrainingMetricsSchema.parse(
    JSON.parse(await readFile(join(dir, "out-1998-08-15", "metrics.json"), "utf8")),
  );
  expect(metrics.production?.notes.join("\n")).toContain("WARNING: --as-of 1998-08-15 is");
});
