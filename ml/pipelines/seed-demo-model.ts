// The start-up step that seeds the demo model, outside the forecast service's serving path: when
// MODEL_NAME (default "purchase") has no production version and DEMO_MODEL is on (the default),
// train the demo model and register it as production, so a fresh forecast service has something
// to serve. `npm run ml -- demo-model`; `npm start` and `npm run start:forecast` run it first.
import { booleanVar } from "@pp/shared/config/parse-env.ts";
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

if (import.meta.main) {
  await seedDemoModelFromEnv();
}
