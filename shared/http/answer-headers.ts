// Headers every answer of both services carries: `Cache-Control: no-store`, as answers hold new
// API keys (shown once), customers' decisions and forecasts, and no proxy or browser cache may keep
// them; `X-Content-Type-Options: nosniff`, so no JSON answer is ever run as a page or script. A
// route that sets either itself (the campaign pages) keeps its own.
export function setAnswerHeaders(headers: Headers): void {
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
  if (!headers.has("X-Content-Type-Options")) headers.set("X-Content-Type-Options", "nosniff");
}

/** The two headers' values on an answer (tests). */
export function answerHeaders(res: Response): Array<string | null> {
  return [res.headers.get("cache-control"), res.headers.get("x-content-type-options")];
}
