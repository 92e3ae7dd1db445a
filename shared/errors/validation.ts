// Turning bad input into 400s that name the field and the problem: a hook for
// @hono/zod-validator, and `jsonBody(schema)`, which also names JSON syntax errors and a wrong
// Content-Type (Hono's own validator reports those vaguely or not at all).
import type { Context, MiddlewareHandler } from "hono";
import type * as z from "zod";
import { AppError, type FieldIssue } from "./app-error.ts";
import { jsonSyntaxProblem } from "./json-syntax.ts";
import { keptEveryKey } from "./keys-kept.ts";
import { findOverflowingNumbers, mayOverflow } from "./overflowing-numbers.ts";
import { repeatedKeys } from "./repeated-keys.ts";
import {
  findUnstorableText,
  mayHoldUnstorableText,
  unstorableTextProblem,
} from "./storable-text.ts";
import { unknownField } from "./unknown-fields.ts";

/** The part of a zod (v3 or v4) issue that is reported back. */
interface IssueLike {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
  /** A strict object's unknown keys (code "unrecognized_keys"). */
  readonly code?: string;
  readonly keys?: ReadonlyArray<string>;
}

/**
 * Each issue as reported: a strict object's unknown keys one by one at their own path (zod puts
 * them at the object's, so `{"controlShare": 0.5}` was "body: Unrecognized key").
 */
function byField(issue: IssueLike): IssueLike[] {
  if (issue.code !== "unrecognized_keys" || !issue.keys?.length) return [issue];
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  return issue.keys.map((key) => unknownField(path, key));
}

// zod's words for a field left out ("Invalid input: expected object, received undefined").
const LEFT_OUT = /^Invalid input: expected (.+), received undefined$/;

/** An issue's problem in our words: a field left out is "required (expected object)". */
function problem(issue: IssueLike): string {
  const leftOut = issue.code === "invalid_type" ? LEFT_OUT.exec(issue.message) : null;
  return leftOut ? `required (expected ${leftOut[1]})` : issue.message;
}

/** `items.0.qty` style path; the root of the input is named after where it came from. */
export function issuePath(path: ReadonlyArray<PropertyKey>, root = "body"): string {
  if (path.length === 0) return root;
  return path.map((part) => (typeof part === "symbol" ? part.toString() : String(part))).join(".");
}

export function validationError(issues: ReadonlyArray<IssueLike>, root = "body"): AppError {
  const details: FieldIssue[] = issues.flatMap(byField).map((issue) => ({
    path: issuePath(issue.path, root),
    message: problem(issue),
  }));
  const summary = details
    .slice(0, 3)
    .map((d) => `${d.path}: ${d.message}`)
    .join("; ");
  const more = details.length > 3 ? ` (and ${details.length - 3} more)` : "";
  return new AppError("validation_error", `Invalid ${root}: ${summary}${more}`, { details });
}

/** For `.refine(isStorableText, unstorableTextError)` on strings from paths and queries
 * (JSON bodies are checked whole by jsonBody). */
export const isStorableText = (text: string): boolean => unstorableTextProblem(text) === undefined;
export const unstorableTextError = {
  error: "contains a NUL character or an unpaired surrogate, which cannot be stored",
};

const targetRoot: Record<string, string> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "headers",
  cookie: "cookies",
};

/**
 * Hook for `zValidator(target, schema, validationHook)`: failures become a 400
 * `validation_error` listing `{path, message}` per field.
 */
export function validationHook(
  result: ({ success: true } | { success: false; error: { issues: ReadonlyArray<IssueLike> } }) & {
    target: string;
  },
): void {
  if (!result.success)
    throw validationError(result.error.issues, targetRoot[result.target] ?? "body");
}

const jsonMediaType = /^application\/([\w.-]+\+)?json$/i;

/**
 * A request body that could not be read to its end: the client closed the connection mid-upload,
 * or sent a broken chunked encoding. The client's 400 (each runtime words the cause its own way),
 * not a 500 counted against the service.
 */
export function unreadableBodyError(cause: unknown): AppError {
  const why = "could not be read to its end (connection closed mid-upload?)";
  return new AppError("bad_request", `Request body ${why}`, {
    details: [{ path: "body", message: `the body ${why}` }],
    cause,
  });
}

// Fatal: a body in another encoding is refused, not read with U+FFFD in place of its letters
// (Windows-1252 "José" and "Josè" were both read as the one customer "Jos\uFFFD").
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The request body as text, refused unless it is UTF-8 (see unreadableBodyError). */
async function bodyText(c: Context): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch (err) {
    throw unreadableBodyError(err);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw notUtf8Error(bytes);
  }
}

/** 400 naming the first byte that is not UTF-8, as JSON must be (RFC 8259 §8.1). */
function notUtf8Error(bytes: Uint8Array): AppError {
  const start = firstInvalidUtf8(bytes);
  const shown = Array.from(bytes.subarray(start, start + 4), (b) =>
    b.toString(16).toUpperCase().padStart(2, "0"),
  ).join(" ");
  const message = `not UTF-8 from byte ${start} (${shown})`;
  return new AppError(
    "bad_request",
    `Request body is ${message}: send the JSON encoded as UTF-8 (the text may be in Windows-1252 or Latin-1)`,
    { details: [{ path: "body", message }] },
  );
}

/** Where the first invalid sequence starts: the shortest prefix a streaming decode refuses. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let valid = 0; // bytes[0, valid) decode, with an incomplete sequence at the end allowed
  let refused = bytes.length + 1; // bytes[0, refused) is known not to (the end counts as a byte)
  while (refused - valid > 1) {
    const mid = (valid + refused) >> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      valid = mid;
    } catch {
      refused = mid;
    }
  }
  // bytes[refused - 1] broke the sequence begun at the last lead byte before it, if any.
  const broken = refused - 1;
  for (let back = 1; back <= 3 && broken - back >= 0; back++) {
    const byte = bytes[broken - back] ?? 0;
    if (byte < 0x80) break;
    if (byte < 0xc0) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    if (length > back) return broken - back;
    break;
  }
  return Math.min(broken, bytes.length - 1);
}

/**
 * A body sent compressed (Content-Encoding: gzip, br, …) is refused by name: it was parsed as JSON
 * and answered "Unrecognized token '\u001f'", and one labelled br but sent plain was accepted.
 */
function refuseEncodedBody(c: Context): void {
  const encoding = c.req.header("content-encoding")?.trim().toLowerCase() ?? "";
  if (encoding === "" || encoding === "identity") return;
  throw new AppError(
    "unsupported_media_type",
    `Content-Encoding "${encoding}" is not accepted: send the body uncompressed`,
    { details: [{ path: "content-encoding", message: "expected none (identity)" }] },
  );
}

/**
 * Charsets that are not ASCII-compatible: a body in one of them cannot be read as the UTF-8 JSON
 * is (RFC 8259), and failed as "unexpected \u0000" at column 2. Others (iso-8859-1, us-ascii)
 * pass: their ASCII bodies are UTF-8 already, and other bytes get bodyText's own 400.
 */
const unreadableCharset = /^(utf-?(16|32)|ucs-?[24])/i;

/** A 415 naming a Content-Type charset the body cannot be read in. */
function refuseUnreadableCharset(contentType: string): void {
  for (const parameter of contentType.split(";").slice(1)) {
    const [name, value] = parameter.split("=", 2);
    if (name?.trim().toLowerCase() !== "charset") continue;
    const charset = (value ?? "").trim().replace(/^"(.*)"$/, "$1");
    if (!unreadableCharset.test(charset)) continue;
    throw new AppError(
      "unsupported_media_type",
      `Content-Type's charset "${charset}" is not accepted: send the JSON as UTF-8 (charset=utf-8, or no charset)`,
      { details: [{ path: "content-type", message: "expected charset utf-8" }] },
    );
  }
}

/** Options of jsonBody and readJsonBody. */
export interface JsonBodyOptions<T extends z.ZodType> {
  /**
   * A cheaper check for the common, valid shape of the body: it returns what `schema` would
   * return, or undefined for anything else (the schema then decides and names the errors).
   */
  fastPath?: (value: unknown) => z.output<T> | undefined;
  /**
   * No body at all reads as `{}` (every field has a default): nothing sent, with no Content-Type
   * or a JSON one (clients that label every request; that was a 400 "body is empty").
   */
  optional?: boolean;
}

/**
 * The request's JSON body checked against `schema`: 415 for another Content-Type, 400
 * `bad_request` for unparsable JSON (where and why, in the same words on every runtime), 400 `validation_error` for
 * a key repeated within one object and for schema failures. For a hot route, called from its handler (one middleware layer fewer).
 */
export async function readJsonBody<T extends z.ZodType>(
  c: Context,
  schema: T,
  options: JsonBodyOptions<T> = {},
): Promise<z.output<T>> {
  const contentType = c.req.header("content-type") ?? "";
  const mediaType = contentType.split(";")[0]?.trim() ?? "";
  const labelledJson = contentType === "" || jsonMediaType.test(mediaType);
  if (options.optional && labelledJson && (await bodyText(c)) === "") {
    return checkedBody(schema, {});
  }
  if (!jsonMediaType.test(mediaType)) {
    throw new AppError(
      "unsupported_media_type",
      `Content-Type must be application/json, got ${contentType ? `"${contentType}"` : "none"}`,
      { details: [{ path: "content-type", message: "expected application/json" }] },
    );
  }
  refuseUnreadableCharset(contentType);
  refuseEncodedBody(c);
  const text = await bodyText(c);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Our own words, not the engine's: Bun's and V8's messages differ for the same body.
    const problem = text.trim() === "" ? "body is empty" : jsonSyntaxProblem(text);
    throw new AppError("bad_request", `Request body is not valid JSON: ${problem}`, {
      details: [{ path: "body", message: problem }],
    });
  }
  // NUL and unpaired surrogates cannot be stored; only \u escapes produce them here.
  if (mayHoldUnstorableText(text)) {
    const unstorable = findUnstorableText(value);
    if (unstorable.length > 0) throw validationError(unstorable, "body");
  }
  // 1e999 parses to Infinity, which each schema called "not a number": named with the range.
  if (mayOverflow(text)) {
    const overflowing = findOverflowingNumbers(value);
    if (overflowing.length > 0) throw validationError(overflowing, "body");
  }
  // A key repeated within one object is a 400 naming it: JSON.parse keeps the last, and
  // {"id":"a","id":"b"} was answered for "b". The text is scanned for it only when counting
  // cannot prove every key kept (keys-kept.ts: a \u escape, or a key really repeated).
  if (!keptEveryKey(text, value)) {
    const repeated = repeatedKeys(text);
    if (repeated.length > 0) throw validationError(repeated, "body");
  }
  const fast = options.fastPath?.(value);
  if (fast !== undefined) return fast;
  return checkedBody(schema, value);
}

async function checkedBody<T extends z.ZodType>(schema: T, value: unknown): Promise<z.output<T>> {
  const result = await schema.safeParseAsync(value);
  if (!result.success) throw validationError(result.error.issues, "body");
  return result.data;
}

/**
 * Middleware that requires a JSON body matching `schema` (see readJsonBody); read it with
 * `c.req.valid("json")`.
 */
export function jsonBody<T extends z.ZodType>(
  schema: T,
  options: JsonBodyOptions<T> = {},
): MiddlewareHandler<
  // biome-ignore lint/suspicious/noExplicitAny: the same Env/path wildcard Hono's validator uses
  any,
  string,
  { in: { json: z.input<T> }; out: { json: z.output<T> } }
> {
  return async (c, next) => {
    c.req.addValidatedData("json", (await readJsonBody(c, schema, options)) as object);
    await next();
  };
}
