// `ml publish NAME --target cloudflare --follow`: keeps the forecast Workers on the registry's
// production version, however it changes (`ml promote`, a rollback, an `UPDATE` by hand, `ml
// forget` erasing its customers). It wakes on the promotion trigger's notification (PostgreSQL)
// and every --interval (both stores), and publishes when the production version or its customers
// changed. Killed anywhere, the Workers still serve a complete bundle (publish-bundle.ts's slots),
// and at its next start it compares what they serve with production and catches up.

import {
  artifactStoreLocationFromEnv,
  openArtifactStore,
} from "@pp/shared/artifacts/open-artifact-store.ts";
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { createDatabase, databaseOptionsFromEnv } from "@pp/shared/db/client.ts";
import type { Database } from "@pp/shared/db/database.ts";
import type { NotificationListener } from "@pp/shared/db/notification-listener.ts";
import { MODEL_PRODUCTION_CHANNEL, ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { withPublishLease } from "@pp/shared/registry/publish-leases.ts";
import { BUNDLE_INDEX } from "../src/model/exported-bundle.ts";
import { versionKey } from "../src/model/model-sources.ts";
import { OneRunAtATime } from "../src/model/one-run-at-a-time.ts";
import { exportBundleFiles } from "./export-bundle.ts";
import { type PublishOptions, publishFiles } from "./publish-model.ts";
import { readPointer } from "./workers-pointer.ts";

export interface FollowOptions extends Omit<PublishOptions, "version"> {
  /** How often to compare production with what was published, notifications or not. */
  intervalMs: number;
}

/**
 * Follows production until `signal` aborts (then finishes the publish under way and resolves).
 * Each line it prints says what it did; a failed check or publish is printed and retried at the
 * next wake-up.
 */
export async function followProduction(
  options: FollowOptions,
  signal: AbortSignal,
  print: (line: string) => void = console.log,
): Promise<void> {
  const handle = await createDatabase(databaseOptionsFromEnv(process.env));
  await handle.migrate();
  const registry = new ModelRegistry(
    handle.db,
    openArtifactStore(artifactStoreLocationFromEnv(process.env)),
  );
  const { name } = options;
  const sync = syncStep(registry, handle.db, options, print);
  // One sync at a time; a wake-up during one gets another after it. None starts once stopped.
  const syncs = new OneRunAtATime(async () => {
    if (signal.aborted) return;
    await sync().catch((error) => {
      const why = error instanceof Error ? error.message : String(error);
      print(`${name}: not published, retried in ${options.intervalMs} ms: ${why}`);
    });
  });
  const wake = () => syncs.changed();
  const listener: NotificationListener | null =
    handle.listen?.(MODEL_PRODUCTION_CHANNEL, {
      // An empty payload is a model whose name is too long for one: it may be ours.
      onNotify: (payload) => {
        if (payload === name || payload === "") wake();
      },
      onListen: () => {
        print(`${name}: listening for production changes`);
        wake();
      },
      onError: () => print(`${name}: lost the notification connection; polling until it is back`),
    }) ?? null;
  const timer = setInterval(wake, options.intervalMs);
  wake();
  const pushed = listener ? ", and on notifications" : "";
  print(
    `${name}: following production (${handle.driver}, every ${options.intervalMs} ms${pushed})`,
  );
  await new Promise<void>((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  clearInterval(timer);
  await listener?.close();
  await syncs.idle();
  await handle.close();
  print(`${name}: stopped following`);
}

/** One comparison of production with the Workers, publishing when they differ. */
function syncStep(
  registry: ModelRegistry,
  db: Database,
  options: FollowOptions,
  print: (line: string) => void,
): () => Promise<void> {
  const { name } = options;
  let published: string | null = null; // versionKey of what the Workers serve, once known
  // Under the model's publish lease, not waited for: another publisher at work is left to finish,
  // and this one compares again at its next wake-up.
  const lease = { waitMs: 0, ...(options.leaseSeconds ? { seconds: options.leaseSeconds } : {}) };
  const step = async () => {
    const production = await registry.getProductionVersion(name);
    if (!production) return print(`${name}: no production version yet`);
    const key = versionKey(production);
    if (key === published) return;
    const files = await exportBundleFiles(registry, db, name, production.version, {
      customers: !options.withoutCustomers,
    });
    const sha = await sha256Hex(files.get(BUNDLE_INDEX) as Uint8Array);
    const pointer = await readPointer(name, options);
    const v = `v${production.version}`;
    if (pointer?.version === production.version && pointer.bundle_sha256 === sha) {
      print(`${name}: the Workers serve ${v} as it is in the registry`);
    } else {
      const serving = pointer ? `v${pointer.version}` : "nothing yet";
      print(`${name}: publishing ${v} (the Workers serve ${serving}, or an older copy)`);
      await publishFiles(files, name, production.version, options);
      print(`${name}: published ${v}: ${sha}`);
    }
    published = key;
  };
  // The lease is taken only when production differs from what was published: an up-to-date
  // follower writes nothing at each wake-up and never keeps another publisher waiting.
  return async () => {
    const production = await registry.getProductionVersion(name);
    if (production && versionKey(production) === published) return;
    await withPublishLease(db, name, step, lease);
  };
}
