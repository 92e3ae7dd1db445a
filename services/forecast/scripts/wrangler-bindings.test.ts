import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { modelBindingsOf, readModelBindings } from "./wrangler-bindings.ts";

const bucket = (extra = "") =>
  `[[r2_buckets]]\nbinding = "MODEL_ARTIFACTS"\nbucket_name = "models-eu"\n${extra}`;
const kv = (id = 'id = "ns-1"') => `[[kv_namespaces]]\nbinding = "MODEL_POINTER"\n${id}\n`;

describe("modelBindingsOf", () => {
  test("the forecast service's own configs name both bindings", () => {
    for (const file of ["wrangler.toml", "wrangler.lite.toml"]) {
      expect(readModelBindings(join(import.meta.dirname, "..", file))).toEqual({
        bucketName: "pp-model-artifacts",
        pointerNamespaceId: "pp-model-pointer",
      });
    }
  });

  test("finds the bindings among others, in any order, with comments and inline tables", () => {
    const toml = [
      'name = "w"',
      '[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "other"',
      kv('id = "ns-1" # the pointer namespace'),
      '[[r2_buckets]]\nbinding = "LOGS"\nbucket_name = "logs"',
      bucket(),
      "[vars]\nMODEL_NAME = 'purchase'",
    ].join("\n");
    expect(modelBindingsOf(toml)).toEqual({ bucketName: "models-eu", pointerNamespaceId: "ns-1" });
    const inline = `r2_buckets = [{ binding = "MODEL_ARTIFACTS", bucket_name = "b" }]\nkv_namespaces = [{ binding = "MODEL_POINTER", id = "k" }]`;
    expect(modelBindingsOf(inline)).toEqual({ bucketName: "b", pointerNamespaceId: "k" });
  });

  test("a KV namespace without an id is keyed by its binding name, as wrangler dev keys it", () => {
    expect(modelBindingsOf(bucket() + kv("")).pointerNamespaceId).toBe("MODEL_POINTER");
  });

  test("a missing binding or bucket name, or a file that is not TOML, is named in the error", () => {
    expect(() => modelBindingsOf(kv(), "w.toml")).toThrow(
      "w.toml has no [[r2_buckets]] MODEL_ARTIFACTS binding with a bucket_name",
    );
    const nameless = '[[r2_buckets]]\nbinding = "MODEL_ARTIFACTS"\n';
    expect(() => modelBindingsOf(nameless + kv(), "w.toml")).toThrow("with a bucket_name");
    expect(() => modelBindingsOf(bucket(), "w.toml")).toThrow(
      "w.toml has no [[kv_namespaces]] MODEL_POINTER binding",
    );
    expect(() => modelBindingsOf('name = "unterminated\n', "w.toml")).toThrow(
      "w.toml is not TOML wrangler can read:",
    );
  });
});
