// Headers every answer of both services carries: `Cache-Control: no-store`, as answers hold new
// API keys (shown once), customers' decisions and forecasts, and no proxy or browser cache may keep
// them; `X-Content-Type-Options: nosniff`, so no JSON answer is ever run as a page or script. A
// route that sets either itself (the campaign pages) keeps its own.
import type { Context } from "hono";

export const ANSWER_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/**
 * Sets the headers before the handler runs: Hono builds every answer of `c.json`, `c.body`,
 * `c.html` and errors from them. Setting them on the finished answer instead cost ~20 µs of the
 * event loop per request on Bun (a /forecast's 53–57 µs became 72–83 µs). A handler that returns
 * a `Response` it built itself spreads ANSWER_HEADERS into it (jsonAnswer, keyedResponse).
 */
export function presetAnswerHeaders(c: Context): void {
  for (const name in ANSWER_HEADERS) c.header(name, ANSWER_HEADERS[name]);
}

/** The two headers' values on an answer (tests). */
export function answerHeaders(res: Response): Array<string | null> {
  return [res.headers.get("cache-control"), res.headers.get("x-content-type-options")];
}
