// Every PromQL expression in the Grafana dashboards and in the alert rules names only metrics the
// services really export: both apps are built in-process as their entries build them, every route
// is exercised, and /metrics is scraped. Names Prometheus makes itself (up, scrape_*) and the
// recording rules in monitoring/rules are allowed too.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseExposition } from "@pp/shared/testing/exposition-parser.ts";
import { parse } from "yaml";
import {
  exerciseServices,
  type MonitoredServices,
  startMonitoredServices,
} from "../services/testing/monitored-services.ts";
import { promqlMetricNames } from "./promql-metric-names.ts";

const monitoringDir = fileURLToPath(new URL(".", import.meta.url));
const dashboardDir = join(monitoringDir, "grafana/dashboards");
const rulesDir = join(monitoringDir, "rules");

/** Series Prometheus adds to every target, and the alert state series. */
const PROMETHEUS_SERIES = [
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
  "ALERTS",
  "ALERTS_FOR_STATE",
];

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

function dashboardExpressions(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const file of readdirSync(dashboardDir).filter((f) => f.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(join(dashboardDir, file), "utf8")) as {
      panels: Panel[];
    };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        out.push({ where: `${file}: "${panel.title}"`, expr: target.expr });
      }
    }
  }
  return out;
}

interface RuleFile {
  groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}

function ruleFiles(): Array<{ file: string; rules: RuleFile }> {
  return readdirSync(rulesDir)
    .filter((f) => f.endsWith(".yml"))
    .map((file) => ({
      file,
      rules: parse(readFileSync(join(rulesDir, file), "utf8")) as RuleFile,
    }));
}

describe("promqlMetricNames", () => {
  test("finds metric and recording-rule names, not functions, labels, strings or durations", () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket{job=~"a|b", route!="/metrics"}[$__rate_interval])))',
      ),
    ).toEqual(["http_request_duration_seconds_bucket"]);
    expect(
      promqlMetricNames(
        "job_model:x:mean1h / (job_model:x:mean1h offset 1d) > 1.5 or up == 0 and on (job) group_left(version) service_info",
      ).sort(),
    ).toEqual(["job_model:x:mean1h", "service_info", "up"]);
    expect(
      promqlMetricNames(
        "(time() - max by (name) (model_data_cutoff_timestamp_seconds)) / 86400 > 6e1",
      ),
    ).toEqual(["model_data_cutoff_timestamp_seconds"]);
    expect(promqlMetricNames('sum(increase(no_such_metric{a="sum(b)"}[$__range]))')).toEqual([
      "no_such_metric",
    ]);
  });
});

describe("dashboards and alert rules against the services' /metrics", () => {
  let services: MonitoredServices;
  let exported: Set<string>;
  let families: Set<string>;

  beforeAll(async () => {
    services = await startMonitoredServices();
    await exerciseServices(services.forecast, services.decision, services.customerIds);
    exported = new Set(PROMETHEUS_SERIES);
    families = new Set();
    for (const app of [services.forecast, services.decision]) {
      const res = await app.request("/metrics");
      expect(res.status).toBe(200);
      const parsed = parseExposition(await res.text());
      for (const sample of parsed.samples) exported.add(sample.name);
      for (const name of parsed.types.keys()) families.add(name);
    }
    for (const { rules } of ruleFiles()) {
      for (const group of rules.groups) {
        for (const rule of group.rules) if (rule.record) exported.add(rule.record);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await services?.close();
  });

  test("every dashboard expression names only exported series", () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(30);
    const unknown = expressions.flatMap(({ where, expr }) =>
      promqlMetricNames(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  test("every alert and recording rule names only exported series", () => {
    const unknown = ruleFiles().flatMap(({ file, rules }) =>
      rules.groups.flatMap((group) =>
        group.rules.flatMap((rule) =>
          promqlMetricNames(rule.expr)
            .filter((name) => !exported.has(name))
            .map((name) => `${file} ${rule.alert ?? rule.record}: ${name}`),
        ),
      ),
    );
    expect(unknown).toEqual([]);
  });

  test("the dashboards cover traffic, errors, latency, inference, model, drift, decisions, profit", () => {
    const used = new Set(dashboardExpressions().flatMap(({ expr }) => promqlMetricNames(expr)));
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "service_ready",
      "forecast_inference_duration_seconds_bucket",
      "model_version_info",
      "model_data_cutoff_timestamp_seconds",
      "job_model:forecast_predicted_purchases:mean1h",
      "forecast_predicted_purchases_bucket",
      "forecast_realized_to_predicted_ratio",
      "forecast_realized_mae",
      "decisions_total",
      "decision_expected_profit_total",
      "campaign_incremental_profit",
    ]) {
      expect({ name, used: used.has(name) }).toEqual({ name, used: true });
    }
  });

  test("an exported family that no dashboard or rule reads is listed (so new metrics get panels)", () => {
    const read = new Set([
      ...dashboardExpressions().flatMap(({ expr }) => promqlMetricNames(expr)),
      ...ruleFiles().flatMap(({ rules }) =>
        rules.groups.flatMap((g) => g.rules.flatMap((r) => promqlMetricNames(r.expr))),
      ),
    ]);
    const unread = [...families].filter(
      (family) =>
        ![family, `${family}_bucket`, `${family}_sum`, `${family}_count`].some((n) => read.has(n)),
    );
    // Families deliberately without a panel, with the reason.
    const deliberately: Record<string, string> = {
      forecast_tracking_window_end_timestamp_seconds: "shown in the ml track report, not live",
      forecast_realized_rmse: "MAE is the panel; RMSE is in tracking.json",
    };
    expect(unread.filter((f) => !(f in deliberately)).sort()).toEqual([]);
  });
});
