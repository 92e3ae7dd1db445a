// Publishing an exported bundle where the Workers read it (runtime-neutral: the bindings, or
// wrangler's CLI standing in for them, are passed in). Each version has two slots; a publish
// writes every file into the slot the KV pointer does not name (bundle.json last), flips the
// pointer `<model>` → {"version", "bundle_sha256", "slot"}, and only then deletes the version's
// other copies (the other slot, and files from before slots). A publish killed at any step leaves
// the pointer naming a complete bundle; running it again finishes the job.
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { BUNDLE_FILE_NAMES, BUNDLE_INDEX } from "./exported-bundle.ts";
import {
  artifactKey,
  BUNDLE_SLOTS,
  type BundleSlot,
  type ModelPointer,
  parsePointer,
} from "./r2-source.ts";

export interface WritableBucket {
  put(key: string, value: Uint8Array): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}
export interface WritablePointer {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<unknown>;
}
/** One step of a publication, as it is done (for progress lines). */
export type PublishStep =
  | { step: "put"; key: string }
  | { step: "pointer"; value: string }
  | { step: "delete"; key: string };

/** The slot to write: the one the pointer does not name when it serves this version, else "a". */
export function slotToWrite(current: ModelPointer | null, version: number): BundleSlot {
  return current?.version === version && current.slot === "a" ? "b" : "a";
}

/** Every key a copy of this version's bundle may occupy, except those of `keep` (a slot). */
export function bundleKeys(model: string, version: number, keep?: BundleSlot): string[] {
  const places = [undefined, ...BUNDLE_SLOTS].filter((slot) => slot === undefined || slot !== keep);
  return places.flatMap((slot) =>
    BUNDLE_FILE_NAMES.map((file) => artifactKey(model, version, file, slot)),
  );
}

/** The objects to upload, in upload order (bundle.json last), and the pointer value. */
async function publicationOf(
  model: string,
  version: number,
  slot: BundleSlot,
  files: Map<string, Uint8Array>,
): Promise<{ objects: Array<{ key: string; name: string; bytes: Uint8Array }>; pointer: string }> {
  const index = files.get(BUNDLE_INDEX);
  if (!index) throw new Error(`the bundle has no ${BUNDLE_INDEX}`);
  const names = [...files.keys()].filter((n) => n !== BUNDLE_INDEX).sort();
  const objects = [...names, BUNDLE_INDEX].map((name) => ({
    key: artifactKey(model, version, name, slot),
    name,
    bytes: files.get(name) as Uint8Array,
  }));
  const pointer: ModelPointer = { version, bundle_sha256: await sha256Hex(index), slot };
  return { objects, pointer: JSON.stringify(pointer) };
}

/** Publishes the bundle as described above; resolves to the pointer value written. */
export async function publishBundle(
  target: { bucket: WritableBucket; pointer: WritablePointer },
  model: string,
  version: number,
  files: Map<string, Uint8Array>,
  onStep: (step: PublishStep) => void = () => {},
): Promise<string> {
  const raw = await target.pointer.get(model);
  const slot = slotToWrite(raw === null ? null : parsePointer(raw), version);
  const { objects, pointer } = await publicationOf(model, version, slot, files);
  for (const object of objects) {
    await target.bucket.put(object.key, object.bytes);
    onStep({ step: "put", key: object.key });
  }
  await target.pointer.put(model, pointer);
  onStep({ step: "pointer", value: pointer });
  for (const key of bundleKeys(model, version, slot)) {
    await target.bucket.delete(key);
    onStep({ step: "delete", key });
  }
  return pointer;
}
