// First run: on the embedded default with no API keys at all, `npm start` creates ONE local
// development key, to be printed once. Never with DATABASE_URL (a real deployment manages its keys
// with `keys create`), NODE_ENV=production, or API_KEYS/ADMIN_API_KEYS (the user brought keys).
// It has the admin scope (which implies decide): on a developer's own machine it should open
// everything, policies and campaign pages included.
import type { Database } from "@pp/shared/db/database.ts";
import { ApiKeyStore } from "../auth/api-key-store.ts";

export const DEV_KEY_NAME = "local-dev";

/** Whether `npm start` may create a development key in this environment. */
export function devKeyAllowed(env: Record<string, string | undefined>): boolean {
  return (
    !env.DATABASE_URL?.trim() &&
    env.NODE_ENV !== "production" &&
    !env.API_KEYS?.trim() &&
    !env.ADMIN_API_KEYS?.trim()
  );
}

/** Creates the development key when the database has no key (revoked ones count); else null. */
export async function ensureDevKey(db: Database): Promise<string | null> {
  const store = new ApiKeyStore(db);
  if ((await store.list()).length > 0) return null;
  return (await store.create(DEV_KEY_NAME, ["admin"])).key;
}

/** The README's example decision as a ready-to-paste curl line. */
export function exampleCurl(key: string, decisionPort: string): string {
  const body = JSON.stringify(EXAMPLE_DECISION);
  return (
    `curl -s localhost:${decisionPort}/decision -H 'Authorization: Bearer ${key}' ` +
    `-H 'content-type: application/json' -d '${body}'`
  );
}

/**
 * The README's example: a customer who bought on 8 of the last 36 weeks and last 2 weeks ago is
 * likely to buy again soon, so the call (uplift 0.4) is worth its cost; see the README.
 */
export const EXAMPLE_DECISION = {
  customer: { id: "c-42", summary: { frequency: 8, recency: 34, T: 36, monetary: 35 } },
  horizon: { value: 13, unit: "week" },
  actions: [
    { id: "email-10pct", cost: 0.5, uplift: 0.15, margin: 8 },
    { id: "call", cost: 6, uplift: 0.4, margin: 8 },
  ],
};
