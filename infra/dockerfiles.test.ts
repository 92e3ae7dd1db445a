// Checks the service Dockerfiles without a Docker engine: base image, stages, user, health check,
// port, and that the image holds every file and package the service imports at run time.

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  contextSources,
  type Dockerfile,
  execFormArguments,
  parseDockerfile,
  parseDockerfileInstructions,
} from "./dockerfile.ts";
import {
  collectServiceImports,
  productionDependencyClosure,
  readWorkspaces,
} from "./service-imports.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

const services = [
  { name: "forecast", packageName: "@pp/forecast", port: 8001 },
  { name: "decision", packageName: "@pp/decision", port: 8002 },
] as const;

function readDockerfile(service: string): Dockerfile {
  return parseDockerfile(readFileSync(`${repoRoot}services/${service}/Dockerfile`, "utf8"));
}

describe("Dockerfile reader", () => {
  test("joins continuation lines and skips comments", () => {
    const instructions = parseDockerfileInstructions(
      "# syntax=docker/dockerfile:1\nFROM a AS b\nRUN one \\\n  # note\n  two\nUSER x\n",
    );
    expect(instructions.map((i) => [i.keyword, i.args, i.line])).toEqual([
      ["FROM", "a AS b", 2],
      ["RUN", "one two", 3],
      ["USER", "x", 6],
    ]);
  });

  test("resolves ARG defaults in FROM and rejects undeclared ones", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile ${ARG} syntax, not a template
    const parsed = parseDockerfile('ARG V=1.4\nFROM img:${V}-slim AS run\nCMD ["x"]\n');
    expect(parsed.stages[0]).toMatchObject({ image: "img:1.4-slim", name: "run" });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile ${ARG} syntax, not a template
    expect(() => parseDockerfile("FROM img:${NOPE}\n")).toThrow("undeclared ARG NOPE");
    expect(() => parseDockerfile("RUN x\nFROM a\n")).toThrow("line 1: RUN before the first FROM");
  });
});

for (const service of services) {
  describe(`services/${service.name}/Dockerfile`, () => {
    const dockerfile = readDockerfile(service.name);
    const runtime = dockerfile.stages.at(-1);
    const runtimeKeywords = (keyword: string) =>
      runtime?.instructions.filter((instruction) => instruction.keyword === keyword) ?? [];

    test("is multi-stage and every stage uses the official Bun image", () => {
      expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
      for (const stage of dockerfile.stages)
        expect(stage.image).toMatch(/^oven\/bun:1(\.\d+)*(-slim)?$/);
    });

    test("installs dependencies from the lockfile, frozen, production only, for this service", () => {
      const install = dockerfile.instructions.find(
        (i) => i.keyword === "RUN" && i.args.includes("bun install"),
      );
      expect(install?.args).toContain("--frozen-lockfile");
      expect(install?.args).toContain("--production");
      expect(install?.args).toContain(`--filter '${service.packageName}'`);
      const copied = dockerfile.instructions.flatMap((i) =>
        i.keyword === "COPY" ? (contextSources(i) ?? []) : [],
      );
      expect(copied).toContain("package-lock.json");
      // Bun resolves the lockfile against every workspace manifest, so all of them must be there.
      for (const workspace of readWorkspaces(repoRoot).values()) {
        expect(copied).toContain(`${workspace.folder}/package.json`);
      }
    });

    test("mends postgres.js after installing it (`--filter` skips the root postinstall that does)", () => {
      const runs = dockerfile.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
      const install = runs.findIndex((args) => args.includes("bun install"));
      const patch = runs.indexOf("bun scripts/patch-postgres.mjs");
      expect(install).toBeGreaterThanOrEqual(0);
      expect(patch).toBeGreaterThan(install);
      const copied = dockerfile.instructions.flatMap((i) =>
        i.keyword === "COPY" ? (contextSources(i) ?? []) : [],
      );
      expect(copied).toContain("scripts/patch-postgres.mjs");
    });

    test("runs as a non-root user who owns DATA_DIR, and listens on all interfaces", () => {
      const user = runtimeKeywords("USER").at(-1)?.args;
      expect(user).toBeDefined();
      expect(["root", "0", "0:0", "root:root"]).not.toContain(user as string);
      const env = runtimeKeywords("ENV")
        .map((i) => i.args)
        .join(" ");
      const dataDir = /DATA_DIR=(\S+)/.exec(env)?.[1];
      expect(dataDir).toBe("/app/.data");
      const runs = runtimeKeywords("RUN").map((i) => i.args);
      expect(runs).toContain(`mkdir -p ${dataDir} && chown ${user}:${user} ${dataDir}`);
      // A container must not bind loopback only, or other containers cannot reach it.
      expect(env).toContain("HOST=0.0.0.0");
    });

    test("builds the embedded store's prebuilt copy into the image, before dropping root", () => {
      const runtime = runtimeKeywords("RUN").map((i) => i.args);
      expect(runtime).toContain("bun shared/db/embedded/new-store.ts");
      expect(existsSync(`${repoRoot}shared/db/embedded/new-store.ts`)).toBe(true);
    });

    test(`exposes ${service.port} and its HEALTHCHECK probes /health on that port without curl`, () => {
      expect(runtimeKeywords("EXPOSE").map((i) => i.args)).toEqual([String(service.port)]);
      const env = runtimeKeywords("ENV")
        .map((i) => i.args)
        .join(" ");
      expect(env).toContain(`PORT=${service.port}`);
      const healthcheck = runtimeKeywords("HEALTHCHECK")[0];
      const probe = execFormArguments(healthcheck)?.join(" ") ?? "";
      expect(probe).toStartWith("bun -e");
      expect(probe).toContain("/health");
      expect(probe).toContain(`|| ${service.port}`);
      expect(probe).not.toContain("curl");
    });

    test("every file copied from the build context exists and is not excluded by .dockerignore", () => {
      const ignored = readFileSync(`${repoRoot}.dockerignore`, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"));
      for (const instruction of dockerfile.instructions) {
        if (instruction.keyword !== "COPY") continue;
        for (const source of contextSources(instruction) ?? []) {
          expect(existsSync(`${repoRoot}${source}`)).toBe(true);
          expect(ignored).not.toContain(source.replace(/\/$/, ""));
        }
      }
      for (const pattern of ["**/node_modules", ".git", ".data", ".env"])
        expect(ignored).toContain(pattern);
    });

    test("CMD starts the Bun entry file, which exists", () => {
      const command = execFormArguments(runtimeKeywords("CMD")[0]);
      const entry = `services/${service.name}/src/entry/bun.ts`;
      expect(command).toEqual(["bun", entry]);
      if (!existsSync(`${repoRoot}${entry}`)) {
        throw new Error(`${entry} does not exist: the image would not start`);
      }
    });

    test("the image holds every workspace folder and declared package the service imports", () => {
      const entry = `services/${service.name}/src/entry/bun.ts`;
      if (!existsSync(`${repoRoot}${entry}`)) {
        throw new Error(`${entry} does not exist: cannot follow the service's imports`);
      }
      const imports = collectServiceImports(repoRoot, entry);
      expect(imports.unresolved).toEqual([]);
      const copiedFolders = (runtime?.instructions ?? [])
        .filter((i) => i.keyword === "COPY")
        .flatMap((i) => contextSources(i) ?? [])
        .map((source) => source.replace(/\/$/, ""));
      for (const folder of imports.workspaceFolders) expect(copiedFolders).toContain(folder);
      // `bun install --production --filter` installs only what the manifests declare.
      const declared = productionDependencyClosure(readWorkspaces(repoRoot), service.packageName);
      declared.add(service.packageName);
      const undeclared = [...imports.packages].filter((name) => !declared.has(name));
      expect(undeclared).toEqual([]);
    });
  });
}
