// The layering of the flow (log → features → models → registry → forecast → decision → decision
// log), checked on the real imports of every non-test source file: nothing reaches back up.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { importSpecifiers, resolveSpecifier } from "./import-specifiers.ts";
import { isTestSupport, sourceFiles } from "./source-tree.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SCANNED_ROOTS = ["ml", "services", "shared"];

export interface ImportEdge {
  from: string;
  to: string;
  specifier: string;
}

/** The rule an edge breaks, or null. */
export function layeringViolation(edge: ImportEdge): string | null {
  const { from, to } = edge;
  if (from.startsWith("ml/") && to.startsWith("services/")) {
    return "ml must not import the services (they sit downstream of the models)";
  }
  if (from.startsWith("shared/") && (to.startsWith("ml/") || to.startsWith("services/"))) {
    return "shared must not import ml or the services";
  }
  if (/^services\/[^/]+\/src\//.test(from)) {
    if (["ml/pipelines", "ml/tracking", "ml/parallel"].some((dir) => to.startsWith(dir))) {
      return "a service must not import training pipelines, their worker threads or tracking";
    }
    if (isTestSupport(to)) return "a service must not import test support";
  }
  return null;
}

/** The cross-service suites and their test support: they build the services from outside. */
const SUITE_ROOTS = [
  "services/conformance",
  "services/reliability",
  "services/testing",
  "monitoring",
];

/**
 * The rule a suite's edge breaks, or null: a suite sees a service only through its public entry
 * (src/index.ts), its runtime entries (src/entry/), its test support (src/testing/) and its
 * command-line scripts (scripts/), and the workerd host only through scripts/workerd/index.ts.
 */
export function suiteViolation(edge: ImportEdge): string | null {
  const service = /^services\/(forecast|decision)\/(.*)$/.exec(edge.to);
  if (service) {
    const inside = service[2] as string;
    if (/^src\/(index\.ts$|entry\/|testing\/)|^scripts\//.test(inside)) return null;
    return `a suite imports ${service[1]} only through src/index.ts, src/entry/, src/testing/ or scripts/`;
  }
  if (edge.to.startsWith("scripts/") && edge.to !== "scripts/workerd/index.ts") {
    return "a suite runs workerd through scripts/workerd/index.ts, not the files behind it";
  }
  return null;
}

function edgesOf(roots: string[], include: (file: string) => boolean): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of roots.flatMap((dir) => sourceFiles(ROOT, dir))) {
    if (!include(file)) continue;
    for (const specifier of importSpecifiers(readFileSync(join(ROOT, file), "utf8"))) {
      const to = resolveSpecifier(file, specifier);
      if (to !== null) edges.push({ from: file, to, specifier });
    }
  }
  return edges;
}

const productionEdges = () => edgesOf(SCANNED_ROOTS, (file) => !isTestSupport(file));

describe("import graph", () => {
  test("the scanner sees every kind of import", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "@pp/decision/src/b.ts";',
      "import {\n  c,\n  type D,\n} from '../c.ts';",
      'export * from "./e.ts";',
      'export { f } from "./f.ts";',
      'import "./side-effect.ts";',
      'const g = await import("./g.ts");',
      '// import { no } from "./commented.ts";',
    ].join("\n");
    expect(importSpecifiers(source)).toEqual([
      "./a.ts",
      "@pp/decision/src/b.ts",
      "../c.ts",
      "./e.ts",
      "./f.ts",
      "./side-effect.ts",
      "./g.ts",
    ]);
    expect(resolveSpecifier("ml/campaigns/x.ts", "@pp/decision/src/policy/p.ts")).toBe(
      "services/decision/src/policy/p.ts",
    );
    expect(resolveSpecifier("ml/campaigns/x.ts", "../data/y.ts")).toBe("ml/data/y.ts");
    expect(resolveSpecifier("ml/campaigns/x.ts", "zod")).toBeNull();
  });

  test("each rule catches what it names", () => {
    const edge = (from: string, to: string) => ({ from, to, specifier: to });
    expect(
      layeringViolation(edge("ml/campaigns/a.ts", "services/decision/src/p.ts")),
    ).not.toBeNull();
    expect(layeringViolation(edge("shared/registry/a.ts", "ml/models/b.ts"))).not.toBeNull();
    expect(layeringViolation(edge("shared/registry/a.ts", "services/x/src/b.ts"))).not.toBeNull();
    expect(
      layeringViolation(edge("services/forecast/src/a.ts", "ml/pipelines/b.ts")),
    ).not.toBeNull();
    expect(
      layeringViolation(edge("services/forecast/src/a.ts", "ml/tracking/b.ts")),
    ).not.toBeNull();
    expect(
      layeringViolation(edge("services/forecast/src/a.ts", "ml/parallel/task-pool.ts")),
    ).not.toBeNull();
    expect(
      layeringViolation(edge("services/decision/src/a.ts", "shared/testing/p.ts")),
    ).not.toBeNull();
    expect(
      layeringViolation(edge("services/decision/src/a.ts", "ml/tracking/mlflow-fake-server.ts")),
    ).not.toBeNull();
    expect(
      layeringViolation(edge("services/decision/src/a.ts", "services/decision/src/x-stub.ts")),
    ).not.toBeNull();
    expect(layeringViolation(edge("services/forecast/src/a.ts", "ml/models/bgnbd.ts"))).toBeNull();
    expect(layeringViolation(edge("ml/campaigns/a.ts", "shared/policy/p.ts"))).toBeNull();
    const suite = "services/reliability/a.test.ts";
    expect(suiteViolation(edge(suite, "services/decision/src/config.ts"))).not.toBeNull();
    expect(suiteViolation(edge(suite, "services/forecast/src/model/ort-engine.ts"))).not.toBeNull();
    expect(suiteViolation(edge(suite, "scripts/workerd/bundle.ts"))).not.toBeNull();
    expect(suiteViolation(edge(suite, "services/decision/src/index.ts"))).toBeNull();
    expect(suiteViolation(edge(suite, "services/forecast/src/testing/demo-bundle.ts"))).toBeNull();
    expect(suiteViolation(edge(suite, "services/forecast/scripts/export-bundle.ts"))).toBeNull();
    expect(suiteViolation(edge(suite, "scripts/workerd/index.ts"))).toBeNull();
    expect(suiteViolation(edge(suite, "shared/testing/free-port.ts"))).toBeNull();
  });

  test("no production module imports up the flow or imports test support", () => {
    const edges = productionEdges();
    // The walk found the real graph (a broken walk would pass by seeing nothing).
    expect(edges.length).toBeGreaterThan(500);
    expect(
      edges.some(
        (e) => e.from.startsWith("services/forecast/src/") && e.to.startsWith("ml/models/"),
      ),
    ).toBe(true);
    const violations = edges
      .map((edge) => ({ edge, rule: layeringViolation(edge) }))
      .filter((v) => v.rule !== null)
      .map(({ edge, rule }) => `${edge.from} → ${edge.specifier}: ${rule}`);
    expect(violations).toEqual([]);
  });

  test("the cross-service suites use only the services' public entry points", () => {
    const edges = edgesOf(SUITE_ROOTS, () => true);
    expect(edges.some((e) => e.to === "services/decision/src/index.ts")).toBe(true);
    const violations = edges
      .map((edge) => ({ edge, rule: suiteViolation(edge) }))
      .filter((v) => v.rule !== null)
      .map(({ edge, rule }) => `${edge.from} → ${edge.specifier}: ${rule}`);
    expect(violations).toEqual([]);
  });
});
