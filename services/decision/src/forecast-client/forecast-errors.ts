// Why a forecast could not be had. The policy decides whether that fails the decision or
// yields a marked fallback; either way the caller is told which of these it was.

export type ForecastFailureKind =
  | "timeout"
  | "circuit_open"
  | "unreachable"
  | "bad_status"
  | "bad_response";

export class ForecastUnavailableError extends Error {
  override readonly name = "ForecastUnavailableError";
  constructor(
    readonly kind: ForecastFailureKind,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
  readonly status: number | undefined;
}
