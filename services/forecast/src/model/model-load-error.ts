// Why a model could not be loaded. The service keeps serving the model it has, counts the failure
// in `model_load_failures_total` and logs this message.

export type ModelLoadFailure =
  /** An artifact's bytes do not match the recorded sha256 (tampered or corrupted). */
  | "checksum"
  /** The files are readable but wrong: bad manifest, feature-layout mismatch, bad ONNX. */
  | "invalid"
  /** Nothing to load (no production version) or the source could not be reached. */
  | "unavailable";

export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
  constructor(
    readonly reason: ModelLoadFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
