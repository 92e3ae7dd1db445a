import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { familyOf, parseExposition, sampleValue } from "../testing/exposition-parser.ts";
import { MetricsRegistry } from "./registry.ts";

/** A registry exercising every metric type, labels, escaping and special values. */
function populated(): MetricsRegistry {
  const registry = new MetricsRegistry();
  const requests = registry.counter({
    name: "jobs_total",
    help: 'Jobs run.\nSecond line with a backslash \\ and "quotes".',
    labelNames: ["kind", "outcome"],
  });
  requests.inc({ kind: "train", outcome: "ok" });
  requests.inc({ kind: "train", outcome: "ok" }, 2);
  requests.inc({ kind: 'weird "name"\\path\nnext', outcome: "failed" });
  registry.counter({ name: "restarts_total", help: "Restarts." }); // unlabelled: shows 0
  const age = registry.gauge({ name: "model_age_seconds", help: "Age of the model." });
  age.set(undefined, 12.5);
  const temps = registry.gauge({ name: "queue_depth", help: "Depth.", labelNames: ["queue"] });
  temps.inc({ queue: "a" }, 5);
  temps.dec({ queue: "a" }, 2);
  temps.set({ queue: "b" }, Number.POSITIVE_INFINITY);
  const latency = registry.histogram({
    name: "step_duration_seconds",
    help: "Step time.",
    labelNames: ["step"],
    buckets: [0.1, 0.5, 1],
  });
  for (const v of [0.05, 0.1, 0.3, 0.7, 3]) latency.observe({ step: "fit" }, v);
  return registry;
}

describe("MetricsRegistry exposition", () => {
  test("renders the text format exactly (HELP/TYPE, escaping, cumulative buckets)", () => {
    expect(populated().expose()).toBe(
      [
        '# HELP jobs_total Jobs run.\\nSecond line with a backslash \\\\ and "quotes".',
        "# TYPE jobs_total counter",
        'jobs_total{kind="train",outcome="ok"} 3',
        'jobs_total{kind="weird \\"name\\"\\\\path\\nnext",outcome="failed"} 1',
        "# HELP restarts_total Restarts.",
        "# TYPE restarts_total counter",
        "restarts_total 0",
        "# HELP model_age_seconds Age of the model.",
        "# TYPE model_age_seconds gauge",
        "model_age_seconds 12.5",
        "# HELP queue_depth Depth.",
        "# TYPE queue_depth gauge",
        'queue_depth{queue="a"} 3',
        'queue_depth{queue="b"} +Inf',
        "# HELP step_duration_seconds Step time.",
        "# TYPE step_duration_seconds histogram",
        'step_duration_seconds_bucket{step="fit",le="0.1"} 2',
        'step_duration_seconds_bucket{step="fit",le="0.5"} 3',
        'step_duration_seconds_bucket{step="fit",le="1"} 4',
        'step_duration_seconds_bucket{step="fit",le="+Inf"} 5',
        'step_duration_seconds_sum{step="fit"} 4.15',
        'step_duration_seconds_count{step="fit"} 5',
        "",
      ].join("\n"),
    );
  });

  test("the strict parser reads back every value and label, escapes included", () => {
    const parsed = parseExposition(populated().expose());
    expect(sampleValue(parsed, "jobs_total", { kind: 'weird "name"\\path\nnext' })).toBe(1);
    expect(sampleValue(parsed, "queue_depth", { queue: "b" })).toBe(Number.POSITIVE_INFINITY);
    expect(parsed.help.get("jobs_total")).toBe(
      'Jobs run.\nSecond line with a backslash \\ and "quotes".',
    );
    expect(familyOf("step_duration_seconds_bucket", parsed.types)).toBe("step_duration_seconds");
    expect(() => parseExposition("orphan_metric 1\n")).toThrow("no # TYPE line");
    expect(() => parseExposition('# TYPE x counter\nx{a="1} 2\n')).toThrow("line 2");
  });

  test("reading values back: get() on counters, gauges and histograms", () => {
    const registry = populated();
    const jobs = registry.counter({
      name: "jobs_total",
      help: "",
      labelNames: ["kind", "outcome"],
    });
    expect(jobs.get({ kind: "train", outcome: "ok" })).toBe(3);
    expect(jobs.get({ kind: "predict", outcome: "ok" })).toBe(0);
    const steps = registry.histogram({
      name: "step_duration_seconds",
      help: "",
      labelNames: ["step"],
    });
    expect(steps.get({ step: "fit" }).count).toBe(5);
  });

  test("programming errors throw: bad names, wrong labels, decreasing counters, clashes", () => {
    const registry = new MetricsRegistry();
    expect(() => registry.counter({ name: "bad-name", help: "" })).toThrow("Invalid metric name");
    expect(() => registry.counter({ name: "ok_total", help: "", labelNames: ["__x"] })).toThrow(
      "Invalid label name",
    );
    const c = registry.counter({ name: "c_total", help: "", labelNames: ["a"] });
    expect(() => c.inc({ a: "1", b: "2" } as never)).toThrow("needs labels [a]");
    expect(() => c.inc({ a: "1" }, -1)).toThrow("cannot decrease");
    expect(() => registry.gauge({ name: "c_total", help: "" })).toThrow("already registered");
    expect(() => registry.histogram({ name: "h", help: "", labelNames: ["le"] })).toThrow('"le"');
    expect(() => registry.histogram({ name: "h2", help: "", buckets: [1, 0.5] })).toThrow(
      "increasing",
    );
  });

  test("a bound histogram series records like observe, checks its labels, and survives reset()", () => {
    const r = new MetricsRegistry();
    const h = r.histogram({ name: "t_bound", help: "h", labelNames: ["stage"], buckets: [1, 2] });
    expect(() => h.bind({ other: "x" } as never)).toThrow("needs labels [stage]");
    const total = h.bind({ stage: "total" });
    expect(r.expose()).not.toContain('stage="total"'); // created on its first observation
    total.observe(0.5);
    total.observeAll([1.5, Number.NaN, 3]);
    h.observe({ stage: "total" }, 2);
    expect(h.get({ stage: "total" })).toEqual({ count: 4, sum: 7 });
    expect(r.expose()).toContain('t_bound_bucket{stage="total",le="2"} 3');
    h.reset();
    total.observe(1);
    expect(h.get({ stage: "total" })).toEqual({ count: 1, sum: 1 });
  });

  test("a bound counter series counts like inc, checks its labels and amounts, and survives reset()", () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: "c_bound_total", help: "c", labelNames: ["route"] });
    expect(() => c.bind({ other: "x" } as never)).toThrow("needs labels [route]");
    const health = c.bind({ route: "/health" });
    expect(r.expose()).not.toContain('route="/health"'); // created on its first increment
    health.inc();
    health.inc(2);
    c.inc({ route: "/health" });
    expect(c.get({ route: "/health" })).toBe(4);
    expect(() => health.inc(-1)).toThrow("cannot decrease");
    c.reset();
    health.inc();
    expect(c.get({ route: "/health" })).toBe(1);
    expect(r.expose()).toContain('c_bound_total{route="/health"} 1');
  });

  test("collectors run before each exposition", () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge({ name: "calls", help: "Times collected." });
    registry.onCollect(() => gauge.inc());
    registry.expose();
    expect(registry.expose()).toContain("calls 2");
  });
});

describe("promtool check metrics", () => {
  const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  const available = promtool.status === 0;
  if (!available) {
    const banner = "=".repeat(72);
    console.warn(
      `\n${banner}\nPROMTOOL NOT FOUND: the exposition is NOT being checked by promtool.\n` +
        `Install it (apt-get install prometheus) or run .ci/run. CI_REQUIRE_PROMTOOL=1 fails.\n${banner}\n`,
    );
  }

  test.skipIf(!available && process.env.CI_REQUIRE_PROMTOOL !== "1")(
    "accepts the registry's output without lint problems",
    () => {
      expect(available).toBe(true);
      const result = spawnSync("promtool", ["check", "metrics"], {
        input: populated().expose(),
        encoding: "utf8",
      });
      expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
      expect(result.status).toBe(0);
    },
  );
});

test("Histogram.observeAll counts like observe per value (NaN skipped)", () => {
  const registry = new MetricsRegistry();
  const one = registry.histogram({
    name: "one_by_one",
    help: "h",
    labelNames: ["m"],
    buckets: [1, 5],
  });
  const all = registry.histogram({
    name: "all_at_once",
    help: "h",
    labelNames: ["m"],
    buckets: [1, 5],
  });
  const values = [0.5, Number.NaN, 3, 7, 1, 5.5];
  for (const v of values) one.observe({ m: "a" }, v);
  all.observeAll({ m: "a" }, Float64Array.from(values));
  expect(all.get({ m: "a" })).toEqual(one.get({ m: "a" }));
  expect(all.get({ m: "a" }).count).toBe(5);
  const lines = (h: typeof one) =>
    h
      .expose()
      .slice(2)
      .map((l) => l.replace(/^\w+/, ""));
  expect(lines(all)).toEqual(lines(one));
});
