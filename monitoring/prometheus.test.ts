// Runs promtool on the Prometheus configuration and alert rules, and checks that the Grafana
// provisioning and dashboards refer to what Prometheus actually has. promtool is required: the
// Debian package `prometheus` provides it (.ci/run installs it).

import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const monitoringDir = fileURLToPath(new URL(".", import.meta.url));

function promtool(...args: string[]): { status: number; output: string } {
  const run = spawnSync("promtool", args, { cwd: monitoringDir, encoding: "utf8" });
  if (run.error) {
    throw new Error(
      "promtool is not installed: `apt-get install -y prometheus` (Debian) provides /usr/bin/promtool. " +
        `(${run.error.message})`,
    );
  }
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

describe("promtool", () => {
  test("check config accepts monitoring/prometheus.yml and the rule files it loads", () => {
    const result = promtool("check", "config", "prometheus.yml");
    expect(result.output).toContain(
      "SUCCESS: prometheus.yml is valid prometheus config file syntax",
    );
    // The rules glob must match real files, or the alerts would silently not be loaded.
    expect(result.output).toMatch(/SUCCESS: [1-9]\d* rules found/);
    expect(result.status).toBe(0);
  });

  test("check config rejects a broken configuration (the check can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-promtool-"));
    try {
      const broken = readFileSync(join(monitoringDir, "prometheus.yml"), "utf8")
        .replace("scrape_interval: 15s", "scrape_interval: fifteen")
        .replace("rules/*.yml", "no-such-rules/*.yml");
      writeFileSync(join(dir, "prometheus.yml"), broken);
      const result = promtool("check", "config", join(dir, "prometheus.yml"));
      expect(result.status).not.toBe(0);
      expect(result.output).toContain("fifteen");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("test rules: every rule-test file under monitoring/tests passes", () => {
    const files = readdirSync(join(monitoringDir, "tests")).filter((f) => f.endsWith(".test.yml"));
    expect(files.length).toBeGreaterThan(0);
    const result = promtool("test", "rules", ...files.map((f) => join("tests", f)));
    expect({ status: result.status, output: result.output }).toEqual({
      status: 0,
      output: expect.stringContaining("SUCCESS"),
    });
  });

  test("every alert rule is exercised by a promtool test that expects it to fire", () => {
    const alerts = readdirSync(join(monitoringDir, "rules"))
      .filter((f) => f.endsWith(".yml"))
      .flatMap((f) => {
        const file = parse(readFileSync(join(monitoringDir, "rules", f), "utf8")) as {
          groups: Array<{ rules: Array<{ alert?: string }> }>;
        };
        return file.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
      });
    const firing = new Set(
      readdirSync(join(monitoringDir, "tests"))
        .filter((f) => f.endsWith(".test.yml"))
        .flatMap((f) => {
          const file = parse(readFileSync(join(monitoringDir, "tests", f), "utf8")) as {
            tests: Array<{
              alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }>;
            }>;
          };
          return file.tests.flatMap((t) =>
            (t.alert_rule_test ?? []).flatMap((a) =>
              a.exp_alerts.length > 0 ? [a.alertname] : [],
            ),
          );
        }),
    );
    expect(alerts.length).toBeGreaterThan(10);
    expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
  });
});

describe("grafana", () => {
  const datasources = parse(
    readFileSync(join(monitoringDir, "grafana/provisioning/datasources/prometheus.yml"), "utf8"),
  ) as {
    apiVersion: number;
    datasources: Array<{ uid: string; type: string; isDefault?: boolean }>;
  };

  test("provisions exactly one default Prometheus datasource", () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources.map((d) => [d.type, d.isDefault])).toEqual([
      ["prometheus", true],
    ]);
  });

  test("dashboards use the provisioned datasource and only jobs Prometheus scrapes", () => {
    const jobs = (
      parse(readFileSync(join(monitoringDir, "prometheus.yml"), "utf8")) as {
        scrape_configs: Array<{ job_name: string }>;
      }
    ).scrape_configs.map((scrape) => scrape.job_name);
    const dashboardDir = join(monitoringDir, "grafana/dashboards");
    const files = readdirSync(dashboardDir).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThan(0);
    const uids = new Set<string>();
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(dashboardDir, file), "utf8")) as {
        uid: string;
        panels: Array<{
          type: string;
          datasource?: { uid: string };
          targets?: Array<{ expr: string }>;
        }>;
      };
      expect(uids.has(dashboard.uid)).toBe(false);
      uids.add(dashboard.uid);
      for (const panel of dashboard.panels) {
        if (panel.type === "row") continue; // a heading, no queries
        expect(panel.datasource?.uid).toBe(datasources.datasources[0]?.uid);
        expect(panel.targets?.length).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          for (const [, selector] of target.expr.matchAll(/job=~?"([^"]+)"/g)) {
            for (const job of selector?.split("|") ?? []) expect(jobs).toContain(job);
          }
        }
      }
    }
  });
});
