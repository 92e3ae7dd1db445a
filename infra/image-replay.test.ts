// Builds each service image's file tree the way its Dockerfile does (a production `bun install`
// from package-lock.json, only the copied folders), starts its CMD as an unprivileged user and
// waits for its HEALTHCHECK to pass: proves the image would have what the service needs, without
// Docker. Needs the npm registry (or Bun's cache) for the install step.

import { afterAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { freePort } from "../shared/testing/free-port.ts";
import { type ReplayedImage, replayServiceImage } from "./image-replay.ts";

const cleanups: Array<() => void> = [];
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
// The image runs as `bun`; here, as root, `nobody` stands in, so the code tree is read-only to it.
const isRoot = process.getuid?.() === 0;
const standIn = { uid: 65534, gid: 65534 };
const bunBinary = bunReachableByStandIn(join(repoRoot, "node_modules/bun/bin/bun.exe"));

/** The repository may sit in a directory `nobody` cannot enter: then run a copy from /tmp. */
function bunReachableByStandIn(bun: string): string {
  if (!isRoot) return bun;
  const probe = ["setpriv", `--reuid=${standIn.uid}`, `--regid=${standIn.gid}`, "--clear-groups"];
  if (spawnSync(probe[0], [...probe.slice(1), bun, "--version"]).status === 0) return bun;
  const dir = mkdtempSync(join(tmpdir(), "pp-bun-"));
  chmodSync(dir, 0o755);
  copyFileSync(bun, join(dir, "bun"));
  chmodSync(join(dir, "bun"), 0o755);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "bun");
}

/** argv with the image's `bun` replaced by this machine's, run as the stand-in user when root. */
function asImageUser(argv: string[]): string[] {
  const command = argv[0] === "bun" ? [bunBinary, ...argv.slice(1)] : argv;
  return isRoot
    ? ["setpriv", `--reuid=${standIn.uid}`, `--regid=${standIn.gid}`, "--clear-groups", ...command]
    : command;
}

afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

for (const service of ["forecast", "decision"]) {
  describe(`${service} image (replayed)`, () => {
    let image: ReplayedImage;

    test("installs production dependencies only and copies no tests", () => {
      image = replayServiceImage(repoRoot, `services/${service}/Dockerfile`, bunBinary);
      cleanups.push(() => rmSync(image.root, { recursive: true, force: true }));
      const installed = readdirSync(join(image.root, "node_modules"));
      expect(installed).toContain("hono");
      for (const devOnly of ["typescript", "wrangler", "deno", "@biomejs", "workerd", "bun"]) {
        expect(installed).not.toContain(devOnly);
      }
      const copiedTests = spawnSync(
        "find",
        [image.root, "-path", "*/node_modules", "-prune", "-o", "-name", "*.test.ts", "-print"],
        {
          encoding: "utf8",
        },
      ).stdout.trim();
      expect(copiedTests).toBe("");
      expect(existsSync(join(image.root, image.command[1] ?? "missing-entry"))).toBe(true);
    }, 120_000);

    test("starts as a non-root user and passes its HEALTHCHECK; /metrics answers", async () => {
      const port = await freePort();
      const dataDir = image.env.DATA_DIR;
      expect(dataDir).toStartWith(image.root);
      mkdirSync(dataDir, { recursive: true });
      if (isRoot) chownSync(dataDir, standIn.uid, standIn.gid);
      const env = { ...image.env, PORT: String(port), HOME: dataDir, PATH: process.env.PATH ?? "" };
      const [file, ...args] = asImageUser(image.command);
      const server: ChildProcess = spawn(file, args, {
        cwd: image.root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      server.stdout?.on("data", (chunk) => (output += chunk));
      server.stderr?.on("data", (chunk) => (output += chunk));
      cleanups.push(() => server.kill("SIGKILL"));
      try {
        const [probeFile, ...probeArgs] = asImageUser(image.healthcheck);
        // Up to 60 s, within what Docker allows the image (start period 30 s, then 3 × 15 s):
        // 60 tries, about 15 s, once failed on a machine busy with a second install and start.
        let healthy = false;
        const deadline = Date.now() + 60_000;
        while (!healthy && server.exitCode === null && Date.now() < deadline) {
          healthy = spawnSync(probeFile, probeArgs, { env, timeout: 3000 }).status === 0;
          if (!healthy) await Bun.sleep(250);
        }
        if (!healthy) throw new Error(`HEALTHCHECK never passed; service output:\n${output}`);
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.headers.get("content-type")).toContain("text/plain");
      } finally {
        server.kill("SIGTERM");
      }
    }, 90_000);

    if (service === "forecast") {
      test("runs the compose `train` one-shot's command (ml train, register, promote)", async () => {
        const compose = parse(readFileSync(join(repoRoot, "infra/docker-compose.yml"), "utf8"), {
          merge: true,
        }) as { services: Record<string, { command: string[] }> };
        const work = mkdtempSync(join(tmpdir(), "pp-train-oneshot-"));
        cleanups.push(() => rmSync(work, { recursive: true, force: true }));
        chmodSync(work, 0o777);
        const simulated = spawnSync(
          bunBinary,
          [
            join(repoRoot, "ml/cli.ts"),
            "simulate",
            "--customers",
            "600",
            "--seed",
            "11",
            "--out",
            "log.csv",
          ],
          { cwd: work, encoding: "utf8", timeout: 60_000 },
        );
        expect(simulated.status, simulated.stderr).toBe(0);
        const command = (compose.services.train?.command ?? [])
          .map((a) => a.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _n, d) => d ?? ""))
          .map((a) =>
            a.startsWith("/data/")
              ? join(work, "log.csv")
              : a === "/tmp/train-out"
                ? join(work, "out")
                : a,
          );
        const [file, ...args] = asImageUser(command);
        const env = {
          ...image.env,
          DATA_DIR: join(work, "data"),
          HOME: work,
          PATH: process.env.PATH ?? "",
        };
        const run = spawnSync(file, args, {
          cwd: image.root,
          env,
          encoding: "utf8",
          timeout: 180_000,
        });
        expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
        expect(run.stdout).toContain("registered purchase v1 (production)");
      }, 240_000);
    }
  });
}
