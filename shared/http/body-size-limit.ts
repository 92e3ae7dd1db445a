// Request body size limit (hono/body-limit) answering 413 `payload_too_large` in the shared error
// shape; it counts streamed bytes too, so a missing or lying Content-Length does not get past it.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../errors/app-error.ts";
import type { AppEnv } from "./app-env.ts";

export function bodySizeLimit(maxBytes: number, hint = ""): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError(
        "payload_too_large",
        `Request body exceeds ${maxBytes} bytes${hint ? `; ${hint}` : ""}`,
        { details: [{ path: "body", message: `larger than ${maxBytes} bytes` }] },
      );
    },
  });
}
