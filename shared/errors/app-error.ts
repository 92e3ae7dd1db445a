// AppError: the one error type the services throw; its code decides the HTTP status and the
// JSON body `{"error": {"code", "message", "details"?}}` every 4xx/5xx response carries.
import { ANSWER_HEADERS } from "../http/answer-headers.ts";
import { type ErrorCode, errorStatus } from "./error-codes.ts";

/** One field-level problem, as listed in `details` of a validation error. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class AppError extends Error {
  override readonly name = "AppError";
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Extra response headers, e.g. `Allow` on a 405 or `Retry-After` on a 429/503. */
  readonly headers: Record<string, string>;
  /** For the access log only, never the caller: e.g. the runtime's own words for a failed fetch. */
  readonly logDetail: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      details?: unknown;
      headers?: Record<string, string>;
      cause?: unknown;
      logDetail?: string;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.logDetail = options.logDetail;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return details === undefined
    ? { error: { code, message } }
    : { error: { code, message, details } };
}

/** A JSON Response in the shared error shape (for code outside a Hono handler, e.g. workers),
 * with the headers every answer carries. */
export function errorResponse(error: AppError): Response {
  return new Response(JSON.stringify(error.toBody()), {
    status: error.status,
    headers: {
      ...ANSWER_HEADERS,
      "content-type": "application/json; charset=utf-8",
      ...error.headers,
    },
  });
}
