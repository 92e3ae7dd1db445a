// Checks infra/terraform without Terraform (it cannot be installed here): every .tf parses with
// @cdktf/hcl2json (HashiCorp's HCL parser compiled to WASM), the resources the deployment needs
// are there and wired together, every variable used is declared, and the files are laid out as
// `terraform fmt` lays them out (hcl-format.ts says exactly what is checked).

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@cdktf/hcl2json";
import { checkTerraformFormat } from "./hcl-format.ts";

const terraformDir = fileURLToPath(new URL(".", import.meta.url));
const MODULES = ["cloudflare", "containers"] as const;
/** How hcl2json renders an expression: "${expr}". */
const tf = (expr: string) => `$\{${expr}}`;

type Blocks = Record<string, Record<string, Array<Record<string, unknown>>>>;
interface Module {
  files: Array<{ name: string; text: string }>;
  resource: Blocks;
  variable: Record<string, unknown>;
  locals: Record<string, unknown>;
  raw: unknown[];
}

async function loadModule(dir: string): Promise<Module> {
  const names = readdirSync(join(terraformDir, dir)).filter((f) => f.endsWith(".tf"));
  const module: Module = { files: [], resource: {}, variable: {}, locals: {}, raw: [] };
  for (const name of names) {
    const text = readFileSync(join(terraformDir, dir, name), "utf8");
    module.files.push({ name, text });
    const parsed = (await parse(name, text)) as {
      resource?: Blocks;
      variable?: Record<string, unknown>;
      locals?: Array<Record<string, unknown>>;
    };
    module.raw.push(parsed);
    for (const [type, byName] of Object.entries(parsed.resource ?? {})) {
      module.resource[type] = { ...module.resource[type], ...byName };
    }
    Object.assign(module.variable, parsed.variable ?? {});
    for (const locals of parsed.locals ?? []) Object.assign(module.locals, locals);
  }
  return module;
}

const one = (blocks: Array<Record<string, unknown>> | undefined) => {
  expect(blocks?.length).toBe(1);
  return (blocks as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
};

describe("terraform fmt layout checker", () => {
  test("accepts fmt-style HCL and names each deviation with its line", () => {
    const good = [
      'resource "docker_container" "x" {',
      '  name    = "x"',
      '  restart = "no" # comment',
      "  env = [",
      '    "A=1",',
      "  ]",
      "",
      "  ports {",
      "    internal = 1",
      "  }",
      "}",
      "",
    ].join("\n");
    expect(checkTerraformFormat(good)).toEqual([]);
    const bad = [
      'resource "a" "b" {',
      '  name = "x"',
      '  restart = "no"',
      "   ports {",
      "\tinternal =1",
      "  }  ",
      "}",
    ].join("\n");
    expect(
      checkTerraformFormat(bad)
        .map((i) => i.line)
        .sort((a, b) => a - b),
    ).toEqual([2, 4, 5, 5, 5, 6, 7]);
    expect(checkTerraformFormat(bad).map((i) => i.message)).toContain(
      '"=" at column 8, terraform fmt aligns it at 11',
    );
  });
});

for (const dir of MODULES) {
  describe(`infra/terraform/${dir}`, () => {
    test("every .tf parses with the HCL parser and is fmt-clean", async () => {
      const module = await loadModule(dir);
      expect(module.files.map((f) => f.name).sort()).toEqual(
        ["main.tf", "outputs.tf", "variables.tf", "versions.tf"].sort(),
      );
      const issues = module.files.flatMap(({ name, text }) =>
        checkTerraformFormat(text).map((i) => `${dir}/${name}:${i.line}: ${i.message}`),
      );
      expect(issues).toEqual([]);
    });

    test("every var.X and local.X used is declared", async () => {
      const module = await loadModule(dir);
      const text = module.files.map((f) => f.text).join("\n");
      const usedVars = new Set([...text.matchAll(/\bvar\.([A-Za-z0-9_]+)/g)].map((m) => m[1]));
      const usedLocals = new Set([...text.matchAll(/\blocal\.([A-Za-z0-9_]+)/g)].map((m) => m[1]));
      expect([...usedVars].filter((v) => !((v as string) in module.variable))).toEqual([]);
      expect([...usedLocals].filter((l) => !((l as string) in module.locals))).toEqual([]);
      // References between resources point at declared resources.
      for (const [, type, name] of text.matchAll(
        /\b((?:cloudflare|docker)_[a-z0-9_]+)\.([a-z0-9_]+)\.(?:name|id|image_id)\b/g,
      )) {
        expect({
          ref: `${type}.${name}`,
          declared: Boolean(module.resource[type as string]?.[name as string]),
        }).toEqual({
          ref: `${type}.${name}`,
          declared: true,
        });
      }
    });
  });
}

test("a broken file is refused by the parser (the parse check can fail)", async () => {
  await expect(parse("broken.tf", 'resource "a" "b" {\n  x = \n')).rejects.toThrow(/broken\.tf/);
});

/** `key = "value"` settings of one `[[table]]` entry (by its binding) in a wrangler.toml. */
function wranglerBinding(file: string, table: string, binding: string): Record<string, string> {
  const toml = readFileSync(join(terraformDir, "../../services", file), "utf8");
  const blocks = toml.split(/^\[/m).filter((b) => b.startsWith(`[${table}]]`));
  for (const block of blocks) {
    const settings = Object.fromEntries(
      [...block.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]),
    );
    if (settings.binding === binding) return settings as Record<string, string>;
  }
  throw new Error(`${file} has no [[${table}]] binding ${binding}`);
}

describe("cloudflare: the resources the Workers bind to (wrangler deploys the Workers)", () => {
  test("R2 bucket, KV namespace and Hyperdrive config; no single-file script uploads", async () => {
    const { resource, variable } = await loadModule("cloudflare");
    // Both Workers import data (and WASM) modules, which cloudflare_workers_script's single
    // `content` file cannot carry: they are deployed with `wrangler deploy` (README).
    expect(resource.cloudflare_workers_script).toBeUndefined();
    expect(Object.keys(resource).sort()).toEqual([
      "cloudflare_hyperdrive_config",
      "cloudflare_r2_bucket",
      "cloudflare_workers_kv_namespace",
    ]);
    const bucket = one(resource.cloudflare_r2_bucket?.model_artifacts);
    expect(bucket.name).toBe(`${tf("var.name_prefix")}-model-artifacts`);
    const hyperdrive = one(resource.cloudflare_hyperdrive_config?.decision_db);
    const origin = one(hyperdrive.origin as Array<Record<string, unknown>>);
    expect(origin).toMatchObject({
      scheme: "postgres",
      host: tf("var.postgres_host"),
      password: tf("var.postgres_password"),
    });
    // Decisions, keys and policies must be read fresh.
    expect(one(hyperdrive.caching as Array<Record<string, unknown>>).disabled).toBe(true);
    expect((variable.postgres_password as Array<{ sensitive?: boolean }>)[0]?.sensitive).toBe(true);
  });

  test("the wrangler configs bind what Terraform provisions, under the names the entries read", async () => {
    const { variable } = await loadModule("cloudflare");
    const prefix = (variable.name_prefix as Array<{ default: string }>)[0]?.default;
    for (const file of ["forecast/wrangler.toml", "forecast/wrangler.lite.toml"]) {
      expect(wranglerBinding(file, "r2_buckets", "MODEL_ARTIFACTS").bucket_name).toBe(
        `${prefix}-model-artifacts`,
      );
      expect(wranglerBinding(file, "kv_namespaces", "MODEL_POINTER").id).toBeDefined();
    }
    expect(wranglerBinding("decision/wrangler.toml", "hyperdrive", "HYPERDRIVE").id).toBeDefined();
    const source = (path: string) =>
      readFileSync(join(terraformDir, "../../services", path), "utf8");
    expect(source("forecast/src/worker/worker-app.ts")).toContain("env.MODEL_POINTER");
    expect(source("forecast/src/worker/worker-app.ts")).toContain("env.MODEL_ARTIFACTS");
    expect(source("decision/src/entry/worker.ts")).toContain("env.HYPERDRIVE");
    expect(source("decision/src/entry/worker.ts")).toContain("env.FORECAST");
    // The production env of decision binds forecast by service binding.
    expect(source("decision/wrangler.toml")).toMatch(
      /\[env\.production\][\s\S]*services = \[\{ binding = "FORECAST", service = "pp-forecast" \}\]/,
    );
  });
});

describe("containers: the compose services on a Docker host", () => {
  test("postgres, forecast, decision, prometheus and grafana on one network, built from the Dockerfiles", async () => {
    const { resource } = await loadModule("containers");
    const containers = resource.docker_container ?? {};
    expect(Object.keys(containers).sort()).toEqual([
      "decision",
      "forecast",
      "grafana",
      "postgres",
      "prometheus",
    ]);
    for (const [name, blocks] of Object.entries(containers)) {
      const networks = one(blocks).networks_advanced as Array<{ name: string; aliases: string[] }>;
      expect(networks).toEqual([{ name: tf("docker_network.platform.name"), aliases: [name] }]);
    }
    const images = resource.docker_image ?? {};
    for (const service of ["forecast", "decision"]) {
      const build = one(images[service]).build as Array<{ dockerfile: string }>;
      const dockerfile = build[0]?.dockerfile as string;
      expect(dockerfile).toBe(`services/${service}/Dockerfile`);
      expect(() => readFileSync(join(terraformDir, "../..", dockerfile))).not.toThrow();
    }
    // decision reaches forecast by its network alias, as in compose.
    const decisionEnv = one(containers.decision).env as string[];
    expect(decisionEnv).toContain("FORECAST_URL=http://forecast:8001");
    // Prometheus gets the checked-in config and rules; Grafana the provisioning and dashboards.
    const mounts = (name: string) =>
      (one(containers[name]).volumes as Array<{ host_path?: string }>).flatMap((v) =>
        v.host_path ? [v.host_path] : [],
      );
    expect(mounts("prometheus")).toEqual([
      `${tf("local.monitoring")}/prometheus.yml`,
      `${tf("local.monitoring")}/rules`,
    ]);
    expect(mounts("grafana")).toEqual([
      `${tf("local.monitoring")}/grafana/provisioning`,
      `${tf("local.monitoring")}/grafana/dashboards`,
    ]);
  });
});
