// What the forecast Workers' KV pointer names for a model, from wrangler's local state or the
// account: read by `ml forget --republish` and `ml publish --follow` before they publish.
import { type ModelPointer, parsePointer } from "../src/model/r2-source.ts";
import {
  type PublishWhere,
  persistDir,
  remotePointerValue,
  runLocalScript,
  wranglerConfig,
} from "./publish-model.ts";

/** The forecast Workers' pointer for `name` (null when none is published). */
export async function readPointer(name: string, where: PublishWhere): Promise<ModelPointer | null> {
  const config = wranglerConfig(where);
  let raw: string | null;
  if (where.local) {
    const line = await runLocalScript("cloudflare-local-state.ts", [
      config,
      persistDir(where),
      "pointer",
      name,
    ]);
    raw = (JSON.parse(line) as { pointer: string | null }).pointer;
  } else {
    raw = await remotePointerValue(name, config);
  }
  if (raw === null) return null;
  const pointer = parsePointer(raw);
  if (!pointer) throw new Error(`the MODEL_POINTER value of "${name}" is not a pointer: ${raw}`);
  return pointer;
}
