// The s3:// artifact store against a real S3-protocol server (s3rver) started here: round trips,
// listing, signatures that the server checks, URIs, env parsing, and the registry refusing a
// tampered object on load (checksums are verified on every load, whatever the store).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { ModelRegistry } from "../registry/model-registry.ts";
import { ArtifactChecksumError } from "../registry/registry-errors.ts";
import { type S3TestServer, startS3TestServer } from "../testing/s3-test-server.ts";
import { openTestDatabase, type TestDatabase } from "../testing/test-databases.ts";
import { ArtifactNotFoundError, InvalidArtifactKeyError } from "./artifact-store.ts";
import { openArtifactStore, s3OptionsFromEnv } from "./open-artifact-store.ts";
import { S3ArtifactStore, S3RequestError } from "./s3-artifact-store.ts";
import { sha256Hex } from "./sha256.ts";

setDefaultTimeout(60_000);
let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer();
});
afterAll(() => s3.close());

const storeAt = (prefix: string, overrides: Record<string, string> = {}) =>
  openArtifactStore(`s3://${s3.bucket}/${prefix}`, { ...s3.env(prefix), ...overrides });

test("put, get, exists, list and delete round-trip bytes by key", async () => {
  const store = storeAt("round/trip");
  expect(store).toBeInstanceOf(S3ArtifactStore);
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  const stored = await store.put("models/m/one/model.onnx", bytes);
  expect(stored).toEqual({
    key: "models/m/one/model.onnx",
    uri: `s3://${s3.bucket}/round/trip/models/m/one/model.onnx`,
    sha256: await sha256Hex(bytes),
    bytes: 5,
  });
  expect(await store.get("models/m/one/model.onnx")).toEqual(bytes);
  expect(await store.exists("models/m/one/model.onnx")).toBe(true);
  await store.put("models/m/one/report/index.html", new TextEncoder().encode("<p>hi</p>"));
  await store.put("models/n/x.json", new TextEncoder().encode("{}"));
  expect(await store.list("models/m/")).toEqual([
    "models/m/one/model.onnx",
    "models/m/one/report/index.html",
  ]);
  const objects = await store.listObjects("models/");
  expect(objects.map((o) => [o.key, o.bytes])).toEqual([
    ["models/m/one/model.onnx", 5],
    ["models/m/one/report/index.html", 9],
    ["models/n/x.json", 2],
  ]);
  expect(Math.abs(Date.now() - (objects[0]?.modified.getTime() ?? 0))).toBeLessThan(120_000);
  await store.delete("models/m/one/model.onnx");
  await store.delete("models/m/one/model.onnx");
  expect(await store.exists("models/m/one/model.onnx")).toBe(false);
  await expect(store.get("models/m/one/model.onnx")).rejects.toBeInstanceOf(ArtifactNotFoundError);
  // Another prefix in the same bucket sees nothing of this one.
  expect(await storeAt("round/other").list("")).toEqual([]);
});

test("requests are signed: unknown credentials are refused by the server", async () => {
  const store = storeAt("signed", { AWS_ACCESS_KEY_ID: "NOT-A-KEY" });
  const error = await store.put("k", new Uint8Array([1])).catch((e) => e);
  expect(error).toBeInstanceOf(S3RequestError);
  expect((error as S3RequestError).status).toBe(403);
});

test("URIs map back to keys; bad keys, missing credentials and unknown schemes are named", async () => {
  const store = storeAt("uris");
  expect(store.keyFor(store.uriFor("x/y.bin"))).toBe("x/y.bin");
  expect(() => store.keyFor("s3://other/x")).toThrow(/not inside the store/);
  expect(() =>
    store.keyFor("s3://other/p/models/m/0a1b2c3d-0000-4000-8000-000000000000/x"),
  ).toThrow("registered in the artifact store s3://other/p: set ARTIFACT_STORE_URI to it");
  await expect(store.put("../x", new Uint8Array(1))).rejects.toBeInstanceOf(
    InvalidArtifactKeyError,
  );
  expect(() => openArtifactStore("s3://bucket/p", {})).toThrow(
    "ARTIFACT_STORE_URI=s3://bucket/p needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to be set",
  );
  expect(() => openArtifactStore("gs://bucket/p")).toThrow(/"gs:\/\/" is not supported/);
  const aws = s3OptionsFromEnv("s3://bkt/a/b/", {
    AWS_ACCESS_KEY_ID: "k",
    AWS_SECRET_ACCESS_KEY: "s",
    AWS_REGION: "eu-west-1",
  });
  expect(aws).toMatchObject({
    bucket: "bkt",
    prefix: "a/b",
    endpoint: "https://s3.eu-west-1.amazonaws.com",
    pathStyle: false,
  });
  expect(
    s3OptionsFromEnv("s3://bkt", { ...s3.env("x"), S3_FORCE_PATH_STYLE: "false" }),
  ).toMatchObject({ prefix: "", endpoint: s3.endpoint, pathStyle: false });
});

test("the registry on the s3 store verifies checksums on every load", async () => {
  let db: TestDatabase | null = null;
  try {
    db = await openTestDatabase("pglite");
    const store = storeAt("registry");
    const registry = new ModelRegistry(db.handle.db, store);
    const version = await registry.registerVersion("s3-model", {
      artifacts: [{ name: "model.json", bytes: new TextEncoder().encode('{"r":1}') }],
      params: {},
      metrics: {},
      dataWindow: { calibrationEnd: "1997-09-30" },
      timeUnit: "week",
      trainedAt: "2026-11-28T12:00:00Z",
      promote: true,
    });
    expect(version.artifactUri.startsWith(`s3://${s3.bucket}/registry/models/s3-model/`)).toBe(
      true,
    );
    expect(new TextDecoder().decode(await registry.loadArtifact(version, "model.json"))).toBe(
      '{"r":1}',
    );
    await registry.verifyVersion(version);
    // Tamper with the object behind the registry's back: the next load refuses it.
    const entry = version.artifacts.find((a) => a.name === "model.json");
    await store.put(store.keyFor(entry?.uri as string), new TextEncoder().encode('{"r":2}'));
    await expect(registry.loadArtifact(version, "model.json")).rejects.toBeInstanceOf(
      ArtifactChecksumError,
    );
  } finally {
    await db?.cleanup();
  }
});
