// `ml gc` after a kill -9 during registration, on the file store and on an S3 store (s3rver): the
// killed registration's artifacts are listed (dry run: nothing removed), `--delete` removes exactly
// them, every registered version still verifies, and a young orphan is kept under --min-age.
// The registering child is a client of this process's embedded database server, killed with its
// transaction open: the server rolls it back and keeps serving.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openArtifactStore } from "../artifacts/open-artifact-store.ts";
import { runBun } from "../testing/processes.ts";
import { type S3TestServer, startS3TestServer } from "../testing/s3-test-server.ts";
import { openTestDatabase, type TestDatabase } from "../testing/test-databases.ts";
import { parseMinAge } from "./gc-command.ts";
import { ModelRegistry } from "./model-registry.ts";

setDefaultTimeout(120_000);
const CHILD = fileURLToPath(new URL("../testing/registration-crash-child.ts", import.meta.url));
const ML_CLI = resolve(import.meta.dirname, "../../ml/cli.ts");
const scratch = mkdtempSync(join(tmpdir(), "pp-gc-"));
let s3: S3TestServer;
let db: TestDatabase;
beforeAll(async () => {
  s3 = await startS3TestServer();
  db = await openTestDatabase("pglite");
});
afterAll(async () => {
  await db?.cleanup();
  await s3?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Starts a registration in a child process and kills it with SIGKILL before it commits. */
async function killMidRegistration(env: Record<string, string>, store: string, model: string) {
  const child = spawn(process.execPath, [CHILD, store, model], {
    env: { ...process.env, DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((r) => child.on("exit", (code, signal) => r(signal ?? code)));
  const ready = await new Promise<boolean>((r) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("READY") && r(true));
    child.on("exit", () => r(false));
  });
  if (!ready) throw new Error(`child exited before READY: ${stderr}`);
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
}

const base = {
  params: {},
  metrics: {},
  dataWindow: { calibrationEnd: "1997-09-30" },
  timeUnit: "week",
  trainedAt: new Date(),
};

test("--min-age parses durations and names bad ones", () => {
  expect(parseMinAge("0")).toBe(0);
  expect(parseMinAge("90s")).toBe(90_000);
  expect(parseMinAge("2h")).toBe(7_200_000);
  expect(() => parseMinAge("soon")).toThrow(/--min-age/);
});

for (const kind of ["file", "s3"] as const) {
  describe(`ml gc on the ${kind} store`, () => {
    test("lists, then deletes, only what a killed registration left", async () => {
      const storeEnv: Record<string, string> =
        kind === "s3"
          ? s3.env(`gc-${crypto.randomUUID()}`)
          : { ARTIFACT_STORE_URI: join(scratch, `store-${crypto.randomUUID()}`) };
      const location = storeEnv.ARTIFACT_STORE_URI as string;
      const env = { ...storeEnv, DATA_DIR: db.options.dataDir as string };
      const store = openArtifactStore(location, storeEnv);
      const registry = new ModelRegistry(db.handle.db, store);
      const model = `gc-${kind}`;
      const artifacts = [{ name: "model.onnx", bytes: new Uint8Array([1, 2, 3]) }];
      const v1 = await registry.registerVersion(model, { ...base, artifacts, promote: true });
      const v2 = await registry.registerVersion(model, { ...base, artifacts });

      await killMidRegistration(env, location, model);
      // The server rolled the killed transaction back: no third version, and the row lock is free.
      expect((await registry.listVersions(model)).map((v) => v.version)).toEqual([2, 1]);
      await registry.promote(model, 2);
      const keysBefore = await store.list("models/");
      const orphanKeys = keysBefore.filter(
        (k) =>
          !k.startsWith(`${store.keyFor(v1.artifactUri)}/`) &&
          !k.startsWith(`${store.keyFor(v2.artifactUri)}/`),
      );
      expect(orphanKeys.length).toBe(2); // model.onnx and the manifest of the killed registration

      const young = await runBun(ML_CLI, ["gc"], env);
      expect(young.status, young.stderr).toBe(0);
      expect(young.stdout).toContain("0 unreferenced prefixes");
      expect(young.stdout).toContain("1 younger than --min-age kept");

      const dry = await runBun(ML_CLI, ["gc", "--min-age", "0"], env);
      expect(dry.status, dry.stderr).toBe(0);
      const orphanPrefix = (orphanKeys[0] as string).split("/").slice(0, 3).join("/");
      expect(dry.stdout).toContain(`${orphanPrefix}\t2 objects`);
      expect(dry.stdout).toContain("1 unreferenced prefixes");
      expect(dry.stdout).toContain("2 referenced by versions");
      expect(dry.stdout).toContain("dry run: pass --delete");
      expect(await store.list("models/")).toEqual(keysBefore);

      const deleted = await runBun(ML_CLI, ["gc", "--min-age", "0", "--delete"], env);
      expect(deleted.status, deleted.stderr).toBe(0);
      expect(deleted.stdout).toContain("deleted 2 objects in 1 prefixes");
      expect(await store.list("models/")).toEqual(
        keysBefore.filter((k) => !orphanKeys.includes(k)),
      );
      for (const v of await registry.listVersions(model)) await registry.verifyVersion(v);

      // Pointed at another (empty) store, gc finds the versions elsewhere and refuses to delete.
      const other =
        kind === "s3" ? s3.env("gc-other") : { ARTIFACT_STORE_URI: join(scratch, "other") };
      const refused = await runBun(ML_CLI, ["gc", "--min-age", "0", "--delete"], {
        ...env,
        ...other,
      });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("not deleting");

      // An empty registry (a forgotten DATABASE_URL, another DATA_DIR) over the real store: every
      // version's files looked unreferenced, and --delete removed the whole store.
      const emptyRegistry = { ...env, DATA_DIR: join(scratch, `empty-${kind}`) };
      const keysNow = await store.list("models/");
      const wiped = await runBun(ML_CLI, ["gc", "--min-age", "0", "--delete"], emptyRegistry);
      expect(wiped.status).toBe(1);
      expect(wiped.stderr).toContain("not deleting: no model version of this registry is in");
      expect(await store.list("models/")).toEqual(keysNow);
      for (const v of await registry.listVersions(model)) await registry.verifyVersion(v);
    });
  });
}
