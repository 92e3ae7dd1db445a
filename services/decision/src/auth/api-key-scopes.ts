// What an API key may do: "decide" (POST /decision, /decision/batch) and "admin" (/admin/*:
// policies and keys). Admin implies decide.
export type ApiKeyScope = "decide" | "admin";
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ["decide", "admin"];

/** A verified key: its name (for logs and rate limits) and what it may do. */
export interface VerifiedKey {
  name: string;
  scopes: readonly ApiKeyScope[];
}

/** Known scopes only, in a fixed order, admin implying decide. */
export function normalScopes(scopes: readonly string[]): ApiKeyScope[] {
  const set = new Set(scopes);
  if (set.has("admin")) set.add("decide");
  return API_KEY_SCOPES.filter((s) => set.has(s));
}
