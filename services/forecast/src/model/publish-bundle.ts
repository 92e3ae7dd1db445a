// Publishing an exported bundle where the Workers read it (runtime-neutral: the bindings are
// passed in): every file to `<model>/<version>/<file>` in the artifact bucket, bundle.json last,
// then the KV pointer `<model>` → {"version", "bundle_sha256"}. Readers follow only the pointer,
// so until the flip they keep loading the previous version, complete.
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { BUNDLE_INDEX } from "./exported-bundle.ts";
import { artifactKey, type ModelPointer } from "./r2-source.ts";

export interface WritableBucket {
  put(key: string, value: Uint8Array): Promise<unknown>;
}
export interface WritablePointer {
  put(key: string, value: string): Promise<unknown>;
}

/** The objects to upload, in upload order (bundle.json last), and the pointer value. */
export async function publicationOf(
  model: string,
  version: number,
  files: Map<string, Uint8Array>,
): Promise<{ objects: Array<{ key: string; name: string; bytes: Uint8Array }>; pointer: string }> {
  const index = files.get(BUNDLE_INDEX);
  if (!index) throw new Error(`the bundle has no ${BUNDLE_INDEX}`);
  const names = [...files.keys()].filter((n) => n !== BUNDLE_INDEX).sort();
  const objects = [...names, BUNDLE_INDEX].map((name) => ({
    key: artifactKey(model, version, name),
    name,
    bytes: files.get(name) as Uint8Array,
  }));
  const pointer: ModelPointer = { version, bundle_sha256: await sha256Hex(index) };
  return { objects, pointer: JSON.stringify(pointer) };
}

export async function publishBundle(
  target: { bucket: WritableBucket; pointer: WritablePointer },
  model: string,
  version: number,
  files: Map<string, Uint8Array>,
): Promise<string> {
  const { objects, pointer } = await publicationOf(model, version, files);
  for (const object of objects) await target.bucket.put(object.key, object.bytes);
  await target.pointer.put(model, pointer);
  return pointer;
}
