// The one list of error codes the services answer with, and the HTTP status each maps to.
// Clients branch on `code`, so codes are stable; statuses follow from them.

export const errorStatus = {
  bad_request: 400,
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** A customer the production model does not know (not_found is a wrong URL or record). */
  unknown_customer: 404,
  method_not_allowed: 405,
  conflict: 409,
  /** The request body did not arrive within BODY_READ_TIMEOUT_MS. */
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  /** The client went away before the answer was ready (nginx's 499): only ever logged. */
  client_closed: 499,
  internal: 500,
  bad_gateway: 502,
  not_ready: 503,
  unavailable: 503,
  gateway_timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The code used when only a status is known (e.g. a Hono HTTPException). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 408:
      return "request_timeout";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 422:
      return "unprocessable";
    case 429:
      return "rate_limited";
    case 502:
      return "bad_gateway";
    case 503:
      return "unavailable";
    case 504:
      return "gateway_timeout";
    default:
      return status >= 400 && status < 500 ? "bad_request" : "internal";
  }
}
