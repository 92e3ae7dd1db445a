// The file:// artifact store: round trips, URIs, listing, refusal of unsafe keys, and sha256.

import { afterAll, expect, spyOn, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as fsPromises from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ArtifactNotFoundError, InvalidArtifactKeyError } from "./artifact-store.ts";
import { FileArtifactStore } from "./file-artifact-store.ts";
import { artifactStoreLocationFromEnv, openArtifactStore } from "./open-artifact-store.ts";
import { sha256Hex } from "./sha256.ts";

const root = mkdtempSync(join(tmpdir(), "pp-artifacts-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("sha256Hex matches the FIPS 180-2 test vectors", async () => {
  expect(await sha256Hex(new TextEncoder().encode("abc"))).toBe(
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  expect(await sha256Hex(new Uint8Array(0))).toBe(
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

test("put, get, exists, list and delete round-trip bytes by key", async () => {
  const store = new FileArtifactStore(join(root, "a"));
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  const stored = await store.put("models/m/one/model.onnx", bytes);
  expect(stored).toEqual({
    key: "models/m/one/model.onnx",
    uri: `${pathToFileURL(join(root, "a")).href}/models/m/one/model.onnx`,
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
  await store.delete("models/m/one/model.onnx");
  await store.delete("models/m/one/model.onnx");
  expect(await store.exists("models/m/one/model.onnx")).toBe(false);
  await expect(store.get("models/m/one/model.onnx")).rejects.toBeInstanceOf(ArtifactNotFoundError);
  // No temporary files are left behind by atomic writes.
  expect(readdirSync(join(root, "a/models/m/one")).filter((f) => f.includes(".tmp-"))).toEqual([]);
});

/** Entries the directory reads made while `list(prefix)` ran, and what it listed. */
async function entriesRead(store: FileArtifactStore, prefix: string) {
  const readdir = spyOn(fsPromises, "readdir");
  try {
    const keys = await store.list(prefix);
    const results = await Promise.all(readdir.mock.results.map((r) => r.value as unknown[]));
    return { keys, entries: results.reduce((n, entries) => n + entries.length, 0) };
  } finally {
    readdir.mockRestore();
  }
}

// ml forget's sweep lists each version's prefix: each listing walked the whole store, so a forget
// took versions squared (1.6 s at 200 versions, 5 s at 400, rerun with nothing to redact).
test("listing a prefix reads only the directory it names, however many others the store holds", async () => {
  const store = new FileArtifactStore(join(root, "walk"));
  const put = (key: string) => store.put(key, new TextEncoder().encode("{}"));
  await put("models/m/v1/model.json");
  await put("models/m/v1/rev-1/metrics.json");
  const alone = await entriesRead(store, "models/m/v1/");
  expect(alone.keys).toEqual(["models/m/v1/model.json", "models/m/v1/rev-1/metrics.json"]);
  for (let v = 2; v <= 30; v++) await put(`models/m/v${v}/model.json`);
  await put("models/m/v1x/model.json");
  const crowded = await entriesRead(store, "models/m/v1/");
  expect(crowded).toEqual(alone);
  // A prefix that ends inside a name still lists every key starting with it.
  expect((await store.list("models/m/v1")).length).toBe(13); // v1, v10…v19, v1x
  expect((await store.list("models/")).length).toBe(32);
  expect(await store.list("models/nothing/")).toEqual([]);
  expect(await store.list("models/m/v1/model.json/")).toEqual([]);
});

test("overwriting a key replaces the whole object", async () => {
  const store = new FileArtifactStore(join(root, "b"));
  await store.put("k", new Uint8Array(1000).fill(7));
  await store.put("k", new Uint8Array([1, 2]));
  expect(await store.get("k")).toEqual(new Uint8Array([1, 2]));
});

test("URIs map back to keys, and URIs of other stores are refused", () => {
  const store = new FileArtifactStore(pathToFileURL(join(root, "c")).href);
  expect(store.root).toBe(join(root, "c"));
  expect(store.keyFor(store.uriFor("x/y.bin"))).toBe("x/y.bin");
  expect(() => store.keyFor("file:///elsewhere/x")).toThrow(/not inside the store/);
});

test("a registered version's URI from another store names that store and ARTIFACT_STORE_URI", () => {
  // An upgrade started from a new checkout with DATABASE_URL and no ARTIFACT_STORE_URI: the
  // default store (./.data/artifacts) moved with the working directory.
  const store = new FileArtifactStore(join(root, "new-checkout", ".data", "artifacts"));
  const old = "file:///srv/app-old/.data/artifacts";
  const uri = `${old}/models/purchase/23c1fc38-c186-41df-b9d1-b623938d132e/model.json`;
  expect(() => store.keyFor(uri)).toThrow(
    `registered in the artifact store ${old}: set ARTIFACT_STORE_URI to it (this process reads ${store.baseUri};`,
  );
});

test("keys that could escape the store or are malformed are refused", async () => {
  const store = new FileArtifactStore(join(root, "d"));
  for (const key of ["../etc/passwd", "a/../../b", "/abs", "a//b", "", "a/./b", "sp ace", "a\\b"]) {
    await expect(store.put(key, new Uint8Array(1))).rejects.toBeInstanceOf(InvalidArtifactKeyError);
  }
});

test("openArtifactStore takes paths and file:// URIs and names unsupported schemes", () => {
  expect(openArtifactStore(join(root, "e"))).toBeInstanceOf(FileArtifactStore);
  expect(openArtifactStore(pathToFileURL(join(root, "e")).href)).toBeInstanceOf(FileArtifactStore);
  expect(() => openArtifactStore("ftp://bucket/prefix")).toThrow(/"ftp:\/\/" is not supported/);
  expect(artifactStoreLocationFromEnv({ ARTIFACT_STORE_URI: "file:///x" })).toBe("file:///x");
  expect(artifactStoreLocationFromEnv({ DATA_DIR: "/srv/pp" })).toBe("/srv/pp/artifacts");
});
