// The forecast Workers' two storage bindings as a wrangler config declares them: the R2 bucket
// MODEL_ARTIFACTS and the KV namespace MODEL_POINTER. Read by the publish path, remote (the bucket
// name wrangler's CLI writes to) and local (the ids wrangler dev keys its local state by).
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";

export interface ModelBindings {
  /** bucket_name of [[r2_buckets]] binding = "MODEL_ARTIFACTS". */
  bucketName: string;
  /** id of [[kv_namespaces]] binding = "MODEL_POINTER". */
  pointerNamespaceId: string;
}

interface BindingEntry {
  binding?: unknown;
  bucket_name?: unknown;
  id?: unknown;
}

/** The binding named `name` in a list of a config's entries (undefined when none). */
function entry(list: unknown, name: string): BindingEntry | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.find((e): e is BindingEntry => typeof e === "object" && e?.binding === name);
}

/**
 * Both bindings of a wrangler.toml. The bucket needs its name (wrangler's CLI writes to it by
 * name); a KV namespace without an id is keyed locally by its binding name, as wrangler dev does.
 */
export function modelBindingsOf(toml: string, configPath = "the wrangler config"): ModelBindings {
  let config: Record<string, unknown>;
  try {
    config = parse(toml);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(`${configPath} is not TOML wrangler can read: ${reason}`);
  }
  const bucket = entry(config.r2_buckets, "MODEL_ARTIFACTS");
  const pointer = entry(config.kv_namespaces, "MODEL_POINTER");
  if (!bucket || typeof bucket.bucket_name !== "string" || bucket.bucket_name === "") {
    throw new Error(
      `${configPath} has no [[r2_buckets]] MODEL_ARTIFACTS binding with a bucket_name`,
    );
  }
  if (!pointer) throw new Error(`${configPath} has no [[kv_namespaces]] MODEL_POINTER binding`);
  return {
    bucketName: bucket.bucket_name,
    pointerNamespaceId: typeof pointer.id === "string" ? pointer.id : "MODEL_POINTER",
  };
}

/** modelBindingsOf the file at `configPath`. */
export function readModelBindings(configPath: string): ModelBindings {
  return modelBindingsOf(readFileSync(configPath, "utf8"), configPath);
}
