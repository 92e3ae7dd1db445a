// Checks infra/docker-compose.yml without a Docker engine: the Compose schema, the services and
// their ports, the shared artifact store (MinIO) and the one-shot bucket and training services, health checks, one shared network, start order, volumes, and agreement with the
// Dockerfiles, the Postgres init script, Prometheus and Grafana configuration.

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { composeSchemaErrors } from "./compose-schema.ts";
import { execFormArguments, parseDockerfile } from "./dockerfile.ts";

const infraDir = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

interface ComposeService {
  image?: string;
  profiles?: string[];
  entrypoint?: string[] | string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  networks?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string; retries?: number };
  restart?: string;
}

interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, { driver?: string; internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(`${infraDir}docker-compose.yml`, "utf8");
// `merge: true` resolves the `<<: *service-defaults` keys the way Compose does.
const compose = parse(composeText, { merge: true }) as ComposeFile;

/** Compose-style `${VAR:-default}` interpolation with an empty environment. */
function withDefaults(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name, fallback) => fallback ?? "");
}

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`compose has no service "${name}"`);
  return found;
}

function env(name: string, variable: string): string {
  const value = service(name).environment?.[variable];
  if (value === undefined) throw new Error(`service ${name} does not set ${variable}`);
  return withDefaults(String(value));
}

/** [host port, container port] of each short-syntax port mapping ("127.0.0.1:5432:5432"). */
function portMappings(name: string): Array<[number, number]> {
  return (service(name).ports ?? []).map((mapping) => {
    const parts = String(mapping).split(":");
    return [Number(parts.at(-2)), Number(parts.at(-1))];
  });
}

const expectedPorts: Record<string, number> = {
  postgres: 5432,
  minio: 9000,
  mlflow: 5000,
  forecast: 8001,
  decision: 8002,
  prometheus: 9090,
  grafana: 3000,
};

test("follows the Compose Specification schema", () => {
  expect(composeSchemaErrors(compose)).toEqual([]);
});

test("the schema check catches mistakes (so passing it means something)", () => {
  const broken = structuredClone(compose);
  (broken.services.forecast.healthcheck as Record<string, unknown>).intervall = "5s";
  (
    broken.services.decision.depends_on as Record<string, { condition: string }>
  ).forecast.condition = "service_ready";
  const errors = composeSchemaErrors(broken).join("\n");
  expect(errors).toContain('"additionalProperty":"intervall"');
  expect(errors).toContain("/services/decision/depends_on/forecast/condition");
});

/** Services that run once and exit: they publish nothing and are not restarted. */
const oneShots = ["minio-init", "demo-model", "train"];

test("defines exactly the seven long-running services and the three one-shots", () => {
  expect(Object.keys(compose.services).sort()).toEqual(
    [...Object.keys(expectedPorts), ...oneShots].sort(),
  );
  for (const name of oneShots) {
    expect({ name, ports: service(name).ports, restart: service(name).restart }).toEqual({
      name,
      ports: undefined,
      restart: "no",
    });
  }
});

describe("every service", () => {
  for (const [name, port] of Object.entries(expectedPorts)) {
    test(`${name}: publishes ${port}, has a health check on it and a restart policy`, () => {
      expect(portMappings(name)).toEqual([[port, port]]);
      const healthcheck = service(name).healthcheck;
      expect(healthcheck).toBeDefined();
      const probe = healthcheck?.test as string[];
      expect(Array.isArray(probe) && ["CMD", "CMD-SHELL"].includes(probe[0])).toBe(true);
      const probeText = probe.join(" ");
      if (name === "postgres") expect(probeText).toContain("pg_isready");
      else if (name === "minio") expect(probeText).toBe("CMD mc ready local");
      else expect(probeText).toContain(`127.0.0.1:${port}/`);
      expect(healthcheck?.interval).toBeDefined();
      expect(healthcheck?.timeout).toBeDefined();
      expect(healthcheck?.retries).toBeGreaterThan(0);
      expect(service(name).restart).toBe("unless-stopped");
    });
  }
});

test("stores without authentication are published on loopback only", () => {
  for (const name of ["postgres", "minio", "mlflow", "prometheus"]) {
    for (const mapping of service(name).ports ?? [])
      expect(String(mapping)).toStartWith("127.0.0.1:");
  }
});

test("all services share one network, which can publish ports", () => {
  const networks = Object.keys(compose.networks ?? {});
  expect(networks).toHaveLength(1);
  const [network] = networks;
  expect(compose.networks?.[network]?.internal ?? false).toBe(false);
  for (const [name, definition] of Object.entries(compose.services)) {
    expect({ name, networks: definition.networks }).toEqual({ name, networks: [network] });
  }
});

test("start order: postgres, minio → bucket → demo model → forecast → decision, prometheus → grafana", () => {
  const dependsOn = Object.fromEntries(
    Object.entries(compose.services).map(([name, definition]) => [
      name,
      Object.fromEntries(
        Object.entries(definition.depends_on ?? {}).map(([dependency, d]) => [
          dependency,
          d.condition,
        ]),
      ),
    ]),
  );
  expect(dependsOn).toEqual({
    postgres: {},
    minio: {},
    "minio-init": { minio: "service_healthy" },
    mlflow: { postgres: "service_healthy" },
    forecast: {
      postgres: "service_healthy",
      mlflow: "service_started",
      "minio-init": "service_completed_successfully",
      "demo-model": "service_completed_successfully",
    },
    "demo-model": { postgres: "service_healthy", "minio-init": "service_completed_successfully" },
    train: { postgres: "service_healthy", "minio-init": "service_completed_successfully" },
    decision: { postgres: "service_healthy", forecast: "service_healthy" },
    prometheus: { forecast: "service_started", decision: "service_started" },
    grafana: { prometheus: "service_healthy" },
  });
});

test("named volumes are declared, all used, and hold the state of every stateful service", () => {
  const declared = Object.keys(compose.volumes ?? {}).sort();
  const used = new Set<string>();
  const mounts: Record<string, string[]> = {};
  for (const [name, definition] of Object.entries(compose.services)) {
    for (const volume of definition.volumes ?? []) {
      const [source, target] = withDefaults(String(volume)).split(":");
      if (source.startsWith(".") || source.startsWith("/")) {
        // Bind mounts are relative to infra/ and must exist, or Docker would create empty dirs.
        expect({ volume, exists: existsSync(`${infraDir}${source}`) }).toEqual({
          volume,
          exists: true,
        });
      } else {
        used.add(source);
        mounts[name] = [...(mounts[name] ?? []), target];
      }
    }
  }
  expect([...used].sort()).toEqual(declared);
  expect(mounts).toEqual({
    postgres: ["/var/lib/postgresql/data"],
    minio: ["/data"],
    mlflow: ["/mlflow/artifacts"],
    forecast: [env("forecast", "DATA_DIR")],
    decision: [env("decision", "DATA_DIR")],
    prometheus: ["/prometheus"],
    grafana: ["/var/lib/grafana"],
  });
});

describe("the service images", () => {
  for (const name of ["forecast", "decision"]) {
    test(`${name} is built from the repository root with its Dockerfile, on the port it exposes`, () => {
      const build = service(name).build;
      expect(build?.context).toBe("..");
      expect(build?.dockerfile).toBe(`services/${name}/Dockerfile`);
      const dockerfile = parseDockerfile(
        readFileSync(`${repoRoot}services/${name}/Dockerfile`, "utf8"),
      );
      const exposed = dockerfile.stages.at(-1)?.instructions.find((i) => i.keyword === "EXPOSE");
      expect(Number(exposed?.args)).toBe(expectedPorts[name]);
      expect(Number(env(name, "PORT"))).toBe(expectedPorts[name]);
      expect(env(name, "HOST")).toBe("0.0.0.0");
    });
  }

  test("decision reaches forecast by its service name and port", () => {
    expect(env("decision", "FORECAST_URL")).toBe(`http://forecast:${env("forecast", "PORT")}`);
  });

  test("both services use the platform database on postgres; MLflow uses its own", () => {
    const initScript = readFileSync(`${infraDir}postgres/init-databases.sh`, "utf8");
    for (const name of ["forecast", "decision"]) {
      const url = new URL(env(name, "DATABASE_URL"));
      expect([url.protocol, url.hostname, url.port, url.pathname]).toEqual([
        "postgres:",
        "postgres",
        "5432",
        "/purchase",
      ]);
      expect(initScript).toContain(`CREATE DATABASE purchase OWNER ${url.username};`);
    }
    const mlflowUrl = new URL(env("mlflow", "MLFLOW_BACKEND_STORE_URI"));
    expect([mlflowUrl.protocol, mlflowUrl.hostname, mlflowUrl.pathname]).toEqual([
      "postgresql+psycopg2:",
      "postgres",
      "/mlflow",
    ]);
    expect(initScript).toContain(`CREATE DATABASE mlflow OWNER ${mlflowUrl.username};`);
    expect(service("postgres").volumes).toContain(
      "./postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-init-databases.sh:ro",
    );
    expect(env("forecast", "MLFLOW_TRACKING_URI")).toBe(`http://mlflow:${expectedPorts.mlflow}`);
  });
});

describe("the shared artifact store and the training one-shot", () => {
  const storeVariables = [
    "ARTIFACT_STORE_URI",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
  ];

  test("forecast and train use one S3 store on minio, in the bucket minio-init creates", () => {
    const bucket = withDefaults(String(service("minio-init").environment?.ARTIFACT_BUCKET));
    for (const name of ["forecast", "train"]) {
      const uri = new URL(env(name, "ARTIFACT_STORE_URI"));
      expect([uri.protocol, uri.hostname]).toEqual(["s3:", bucket]);
      expect(env(name, "AWS_ENDPOINT_URL")).toBe(`http://minio:${expectedPorts.minio}`);
      expect(env(name, "AWS_ACCESS_KEY_ID")).toBe(env("minio", "MINIO_ROOT_USER"));
      expect(env(name, "AWS_SECRET_ACCESS_KEY")).toBe(env("minio", "MINIO_ROOT_PASSWORD"));
    }
    for (const variable of storeVariables)
      expect(env("train", variable)).toBe(env("forecast", variable));
    const init = [service("minio-init").entrypoint ?? []].flat().join(" ");
    expect(init).toContain("mc mb --ignore-existing");
    expect(init).toContain("http://minio:9000");
    // No service keeps model artifacts in a volume of its own any more.
    expect(composeText).not.toMatch(/artifacts:\/app/);
  });

  test("train is a profile-only one-shot that registers and promotes what forecast serves", () => {
    const train = service("train");
    expect(train.profiles).toEqual(["train"]);
    expect(train.image).toBe(service("forecast").image);
    const command = (train.command as string[]).map(withDefaults);
    expect(command.slice(0, 3)).toEqual(["bun", "ml/cli.ts", "train"]);
    const option = (name: string) => command[command.indexOf(name) + 1];
    expect(option("--data")).toStartWith("/data/");
    expect(option("--register")).toBe(env("forecast", "MODEL_NAME"));
    expect(command).toContain("--promote");
    expect(env("train", "DATABASE_URL")).toBe(env("forecast", "DATABASE_URL"));
    expect(train.volumes?.map((v) => withDefaults(String(v)))).toEqual(["./train-data:/data:ro"]);
  });
});

describe("infra/mlflow/Dockerfile", () => {
  const dockerfile = parseDockerfile(readFileSync(`${infraDir}mlflow/Dockerfile`, "utf8"));
  const runtime = dockerfile.stages.at(-1)?.instructions ?? [];

  test("is what compose builds, multi-stage, with pinned mlflow and psycopg2", () => {
    expect(service("mlflow").build).toEqual({ context: "./mlflow", dockerfile: "Dockerfile" });
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const text = dockerfile.instructions.map((i) => `${i.keyword} ${i.args}`).join("\n");
    expect(text).toMatch(/ARG MLFLOW_VERSION=\d+\.\d+\.\d+/);
    expect(text).toMatch(/ARG PSYCOPG2_VERSION=\d+\.\d+\.\d+/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile ${ARG} syntax, not a template
    expect(text).toContain('"mlflow==${MLFLOW_VERSION}" "psycopg2-binary==${PSYCOPG2_VERSION}"');
  });

  test("runs as a non-root user with a health check, serving the compose backend store", () => {
    const user = runtime.filter((i) => i.keyword === "USER").at(-1)?.args;
    expect(user).toBe("mlflow");
    const probe = execFormArguments(
      runtime.find((i) => i.keyword === "HEALTHCHECK") as never,
    )?.join(" ");
    expect(probe).toContain("http://127.0.0.1:5000/health");
    const command =
      execFormArguments(runtime.find((i) => i.keyword === "CMD") as never)?.join(" ") ?? "";
    expect(command).toContain('--backend-store-uri "$MLFLOW_BACKEND_STORE_URI"');
    expect(command).toContain("--port 5000");
    // MLflow 3.5+ rejects Host headers it does not know: the compose name must be allowed.
    expect(command).toMatch(
      /--allowed-hosts "\$\{MLFLOW_SERVER_ALLOWED_HOSTS:-[^"]*\bmlflow:5000\b/,
    );
  });
});

describe("monitoring wiring", () => {
  test("prometheus reads the mounted config and rules, and scrapes both services by compose name", () => {
    const prometheus = service("prometheus");
    expect(prometheus.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    expect(prometheus.volumes).toContain(
      "../monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
    );
    expect(prometheus.volumes).toContain("../monitoring/rules:/etc/prometheus/rules:ro");
    const config = parse(readFileSync(`${repoRoot}monitoring/prometheus.yml`, "utf8")) as {
      rule_files: string[];
      scrape_configs: Array<{
        job_name: string;
        metrics_path?: string;
        static_configs: Array<{ targets: string[] }>;
      }>;
    };
    expect(config.rule_files).toEqual(["rules/*.yml"]);
    for (const name of ["forecast", "decision"]) {
      const job = config.scrape_configs.find((scrape) => scrape.job_name === name);
      expect(job?.metrics_path ?? "/metrics").toBe("/metrics");
      expect(job?.static_configs.flatMap((s) => s.targets)).toEqual([
        `${name}:${env(name, "PORT")}`,
      ]);
    }
  });

  test("grafana is provisioned with the compose prometheus and the dashboards folder it mounts", () => {
    const grafana = service("grafana");
    expect(grafana.volumes).toContain(
      "../monitoring/grafana/provisioning:/etc/grafana/provisioning:ro",
    );
    const dashboardsMount = (grafana.volumes ?? []).find((v) =>
      v.startsWith("../monitoring/grafana/dashboards:"),
    );
    const datasources = parse(
      readFileSync(`${repoRoot}monitoring/grafana/provisioning/datasources/prometheus.yml`, "utf8"),
    ) as { datasources: Array<{ type: string; url: string; uid: string }> };
    expect(datasources.datasources.map((d) => [d.type, d.url])).toEqual([
      ["prometheus", `http://prometheus:${expectedPorts.prometheus}`],
    ]);
    const providers = parse(
      readFileSync(
        `${repoRoot}monitoring/grafana/provisioning/dashboards/purchase-prediction.yml`,
        "utf8",
      ),
    ) as { providers: Array<{ options: { path: string } }> };
    expect(dashboardsMount?.split(":")[1]).toBe(providers.providers[0].options.path);
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
  });
});
