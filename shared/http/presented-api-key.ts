// The API key a request presents, read one way by every keyed service (forecast's static keys,
// decision's key ring), so a client's key and its refusals are the same on both.
import type { Context } from "hono";

/** The longest key read; a longer one is refused, never cut (a cut key could match another). */
export const MAX_API_KEY_LENGTH = 512;

/**
 * No key sent (no header, or only empty ones); one key; or a header that holds no readable key
 * (a space inside, two keys joined, too long, another scheme alone), with a message naming it.
 */
export type PresentedApiKey =
  | { kind: "none" }
  | { kind: "key"; key: string }
  | { kind: "unreadable"; header: "X-API-Key" | "Authorization"; message: string };

/**
 * Whether a request can present `key` (one run of 1-512 non-space characters): a configured key
 * that cannot is refused at start, not answered 401 on every request.
 */
export const isPresentableApiKey = (key: string): boolean =>
  key.length <= MAX_API_KEY_LENGTH && /^\S+$/.test(key);
export const UNPRESENTABLE_API_KEY = `each key must be 1-${MAX_API_KEY_LENGTH} characters without spaces: a request cannot present another (X-API-Key or Authorization: Bearer)`;

const BEARER = new RegExp(`^Bearer\\s+(\\S{1,${MAX_API_KEY_LENGTH}})\\s*$`, "i");
const ONE_KEY = new RegExp(`^\\s*(\\S{1,${MAX_API_KEY_LENGTH}})\\s*$`);

/**
 * `Authorization: Bearer KEY`, else `X-API-Key: KEY` (trimmed): Bearer wins when both hold a key,
 * and an Authorization of another scheme (a proxy's Basic) does not hide X-API-Key.
 */
export function presentedApiKey(c: Context): PresentedApiKey {
  const authorization = c.req.header("authorization") ?? "";
  const apiKey = c.req.header("x-api-key") ?? "";
  const key = BEARER.exec(authorization)?.[1] ?? ONE_KEY.exec(apiKey)?.[1];
  if (key !== undefined) return { kind: "key", key };
  if (apiKey.trim()) {
    return {
      kind: "unreadable",
      header: "X-API-Key",
      message: `X-API-Key header is not one key (no spaces in it, at most ${MAX_API_KEY_LENGTH} characters)`,
    };
  }
  if (authorization.trim()) {
    return {
      kind: "unreadable",
      header: "Authorization",
      message: `Authorization header is not of the form Bearer <key> (one key, no spaces in it, at most ${MAX_API_KEY_LENGTH} characters)`,
    };
  }
  return { kind: "none" };
}
