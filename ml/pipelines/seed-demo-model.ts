// The start-up step that seeds the demo model, outside the forecast service's serving path: when
// MODEL_NAME (default "purchase") has no production version and DEMO_MODEL is on (the default),
// train the demo model and register it as production, so a fresh forecast service has something
// to serve. `npm run ml -- demo-model`; `npm start` and `npm run start:forecast` run it first.
import { booleanVar } from "@pp/shared/config/parse-env.ts";
import { connectionLostCode } from "@pp/shared/db/connection-lost.ts";
import { connectionRefusedReason, redactedDatabaseUrl } from "@pp/shared/db/connection-refused.ts";
import { dataDirFromEnv } from "@pp/shared/db/decision-store-dir.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import * as z from "zod";
import { type DemoModelResult, ensureDemoModel } from "./demo-model.ts";
import { openRegistryFromEnv } from "./open-registry.ts";

const seedEnvSchema = z.object({
  DEMO_MODEL: booleanVar(true),
  MODEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { error: "must be a model name" })
    .default("purchase"),
});

/** Seeds the demo model of the environment's registry; null when DEMO_MODEL is off. */
export async function seedDemoModelFromEnv(
  env: Record<string, string | undefined> = process.env,
  log = createLogger({ fields: { step: "demo-model" } }),
): Promise<DemoModelResult | null> {
  const parsed = seedEnvSchema.safeParse({
    DEMO_MODEL: env.DEMO_MODEL?.trim() || undefined,
    MODEL_NAME: env.MODEL_NAME?.trim() || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`${issue?.path.join(".")}: ${issue?.message}`);
  }
  if (!parsed.data.DEMO_MODEL) {
    log.info("DEMO_MODEL is off: no demo model seeded");
    return null;
  }
  const opened = await openRegistryFromEnv(env);
  try {
    return await ensureDemoModel({
      registry: opened.registry,
      modelName: parsed.data.MODEL_NAME,
      log,
    });
  } finally {
    await opened.close();
  }
}

/**
 * Why the demo model could not be seeded, naming the store: a DATABASE_URL that cannot be reached
 * or entered with the part to check, as `ml` names it, or a DATA_DIR that cannot be opened (it
 * said `connect ECONNREFUSED 127.0.0.1:5439` only, or Bun's stack for a DATA_DIR that is a file).
 */
export function seedFailure(error: unknown, env = process.env): string {
  const words = error instanceof Error ? error.message : String(error);
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    const fileSystem = typeof (error as { syscall?: unknown } | null)?.syscall === "string";
    if (!fileSystem) return words;
    return `could not open the embedded store at DATA_DIR=${dataDirFromEnv(env)}: ${words}`;
  }
  const at = `DATABASE_URL=${redactedDatabaseUrl(url)}`;
  const refused = connectionRefusedReason(error);
  if (refused) {
    return `the database at ${at} refused the connection (${refused.code}: ${refused.message}); check ${refused.check}`;
  }
  const lost = connectionLostCode(error);
  if (!lost) return words;
  return `could not reach the database at ${at} (${lost}: ${words}); check its host and port, and that the server is running`;
}

if (import.meta.main) {
  await seedDemoModelFromEnv().catch((error: unknown) => {
    console.error(`error: demo model not seeded: ${seedFailure(error)}`);
    process.exit(1);
  });
}
