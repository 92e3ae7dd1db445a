// Picks the artifact store implementation for a location: `file://` (or a plain path) for a local
// directory, `s3://bucket/prefix` for an S3-compatible bucket whose endpoint and credentials come
// from the environment (AWS_ENDPOINT_URL or S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN and S3_FORCE_PATH_STYLE).
import { resolve } from "node:path";
import { dataDirFromEnv } from "../db/decision-store-dir.ts";
import type { ArtifactStore } from "./artifact-store.ts";
import { artifactStoreScheme } from "./artifact-store-scheme.ts";
import { FileArtifactStore } from "./file-artifact-store.ts";
import { S3ArtifactStore, type S3StoreOptions } from "./s3-artifact-store.ts";

type Env = Record<string, string | undefined>;

/** Opens the store at `location`: a `file://` URI, a directory path, or an `s3://` URI. */
export function openArtifactStore(location: string, env: Env = process.env): ArtifactStore {
  const scheme = artifactStoreScheme(location);
  if (scheme === "file") return new FileArtifactStore(location);
  if (scheme === "s3") return new S3ArtifactStore(s3OptionsFromEnv(location, env));
  // A RangeError: the CLIs print it as one line (exit 2), as any other bad setting.
  throw new RangeError(
    `ARTIFACT_STORE_URI=${location}: the scheme "${scheme}://" is not supported; use a folder path, file:// or s3://`,
  );
}

const get = (env: Env, ...names: string[]) =>
  names.map((n) => env[n]?.trim()).find((v) => v !== undefined && v !== "");

/** Bucket and prefix from `s3://bucket/prefix`, the rest from the environment; names what is missing. */
export function s3OptionsFromEnv(location: string, env: Env): S3StoreOptions {
  const match = /^s3:\/\/([^/]+)\/?(.*?)\/*$/i.exec(location);
  if (!match?.[1])
    throw new RangeError(`ARTIFACT_STORE_URI ${location}: expected s3://bucket/prefix`);
  const accessKeyId = get(env, "AWS_ACCESS_KEY_ID");
  const secretAccessKey = get(env, "AWS_SECRET_ACCESS_KEY");
  const missing = [
    ...(accessKeyId ? [] : ["AWS_ACCESS_KEY_ID"]),
    ...(secretAccessKey ? [] : ["AWS_SECRET_ACCESS_KEY"]),
  ];
  if (missing.length > 0) {
    throw new RangeError(`ARTIFACT_STORE_URI=${location} needs ${missing.join(" and ")} to be set`);
  }
  const region = get(env, "AWS_REGION", "AWS_DEFAULT_REGION") ?? "us-east-1";
  const custom = get(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT");
  const pathStyle = get(env, "S3_FORCE_PATH_STYLE");
  const sessionToken = get(env, "AWS_SESSION_TOKEN");
  return {
    bucket: match[1],
    prefix: match[2] ?? "",
    endpoint: custom ?? `https://s3.${region}.amazonaws.com`,
    region,
    accessKeyId: accessKeyId as string,
    secretAccessKey: secretAccessKey as string,
    ...(sessionToken ? { sessionToken } : {}),
    // A custom endpoint (MinIO, R2, a test server) is addressed path-style unless told otherwise.
    pathStyle: pathStyle ? /^(1|true|yes|on)$/i.test(pathStyle) : custom !== undefined,
  };
}

/** `ARTIFACT_STORE_URI`, else `<DATA_DIR or ./.data>/artifacts`. */
export function artifactStoreLocationFromEnv(env: Env = process.env): string {
  const explicit = env.ARTIFACT_STORE_URI?.trim();
  if (explicit) return explicit;
  return resolve(dataDirFromEnv(env), "artifacts");
}
