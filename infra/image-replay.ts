// Replays a service Dockerfile on this machine, without a Docker engine: the build context COPYs
// (honouring .dockerignore), the `bun install` step and the ENV/USER/CMD/HEALTHCHECK of the image,
// into a temporary directory standing in for /app. What it cannot replay it lists in `skipped`.

import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { contextSources, execFormArguments, parseDockerfile } from "./dockerfile.ts";

export interface ReplayedImage {
  /** Temporary directory playing the image's /app. */
  root: string;
  /** ENV of the last stage, /app paths mapped to `root`. */
  env: Record<string, string>;
  user: string | undefined;
  command: string[];
  healthcheck: string[];
  /** Instructions not replayed, as "line N: KEYWORD args". */
  skipped: string[];
}

const imageRoot = "/app";

/** A .dockerignore pattern as a regular expression over context-relative paths. */
function ignorePattern(pattern: string): RegExp {
  const body = pattern
    .replace(/^\//, "")
    .replace(/[.+^$()|[\]{}]/g, "\\$&")
    .replace(/\*\*\//g, "\u0000")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]")
    .replaceAll("\u0000", "(?:.*/)?");
  return new RegExp(`^${body}(?:/.*)?$`);
}

export function readDockerignore(repoRoot: string): RegExp[] {
  return readFileSync(join(repoRoot, ".dockerignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map(ignorePattern);
}

function splitEnvArgs(args: string): Array<[string, string]> {
  return [...args.matchAll(/(\w+)=("[^"]*"|\S*)/g)].map(([, name, value]) => [
    name,
    value.replace(/^"(.*)"$/, "$1"),
  ]);
}

/**
 * Builds the image's file tree for `dockerfile` (repository-relative) into a temporary directory.
 * `bunBinary` runs the install step.
 */
export function replayServiceImage(
  repoRoot: string,
  dockerfile: string,
  bunBinary: string,
): ReplayedImage {
  const parsed = parseDockerfile(readFileSync(join(repoRoot, dockerfile), "utf8"));
  const ignored = readDockerignore(repoRoot);
  const root = mkdtempSync(join(tmpdir(), "pp-image-"));
  chmodSync(root, 0o755);
  const toHost = (path: string) => path.replaceAll(imageRoot, root);
  const image: ReplayedImage = {
    root,
    env: {},
    user: undefined,
    command: [],
    healthcheck: [],
    skipped: [],
  };
  for (const [index, stage] of parsed.stages.entries()) {
    const last = index === parsed.stages.length - 1;
    for (const instruction of stage.instructions) {
      const { keyword, args, line } = instruction;
      if (keyword === "FROM" || keyword === "EXPOSE") continue;
      if (keyword === "WORKDIR") {
        if (args !== imageRoot)
          throw new Error(`line ${line}: replay supports WORKDIR ${imageRoot} only`);
        continue;
      }
      if (keyword === "COPY") {
        const sources = contextSources(instruction);
        // `COPY --from=<earlier stage> /app ./`: the stages share the one directory here.
        if (sources === undefined) continue;
        // Docker's rules: into a directory destination ("x/" or several sources) a file keeps its
        // name; a directory source always contributes its contents.
        const destination = args.split(/\s+/).at(-1) as string;
        const intoDirectory = destination.endsWith("/") || sources.length > 1;
        for (const source of sources) {
          const isFile = !statSync(join(repoRoot, source)).isDirectory();
          const target = join(root, destination, isFile && intoDirectory ? basename(source) : "");
          mkdirSync(dirname(target), { recursive: true });
          cpSync(join(repoRoot, source), target, {
            recursive: true,
            filter: (from) => {
              const path = relative(repoRoot, from);
              return path === "" || !ignored.some((pattern) => pattern.test(path));
            },
          });
        }
        continue;
      }
      if (keyword === "RUN" && args.startsWith("bun install")) {
        const install = spawnSync("sh", ["-c", args.replace(/^bun /, `'${bunBinary}' `)], {
          cwd: root,
          encoding: "utf8",
        });
        if (install.status !== 0) {
          throw new Error(`line ${line}: ${args} failed:\n${install.stdout}${install.stderr}`);
        }
        continue;
      }
      if (!last) {
        image.skipped.push(`line ${line}: ${keyword} ${args}`);
        continue;
      }
      if (keyword === "ENV")
        for (const [name, value] of splitEnvArgs(args)) image.env[name] = toHost(value);
      else if (keyword === "USER") image.user = args;
      else if (keyword === "CMD") image.command = execFormArguments(instruction) ?? [];
      else if (keyword === "HEALTHCHECK") image.healthcheck = execFormArguments(instruction) ?? [];
      else image.skipped.push(`line ${line}: ${keyword} ${args}`);
    }
  }
  return image;
}
