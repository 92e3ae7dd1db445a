// First run: on the embedded default with no API keys at all, `npm start` creates ONE local
// development key, to be printed once. Never with DATABASE_URL (a real deployment manages its keys
// with `keys create`), NODE_ENV=production, or API_KEYS/ADMIN_API_KEYS (the user brought keys).
// It has the admin scope (which implies decide): on a developer's own machine it should open
// everything, policies and campaign pages included.
import type { Database } from "@pp/shared/db/database.ts";
import { ApiKeyStore } from "../auth/api-key-store.ts";
import { exampleDecision } from "../routes/decision-openapi.ts";

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
  const body = JSON.stringify(exampleDecision);
  return (
    `curl -s localhost:${decisionPort}/decision -H 'Authorization: Bearer ${key}' ` +
    `-H 'content-type: application/json' -d '${body}'`
  );
}
