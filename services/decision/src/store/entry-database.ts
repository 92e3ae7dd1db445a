// The database as the Bun/Node/Deno entries provide it: opened (and migrated) in the background
// once the service listens (openSoon), so it answers /health at once and its first /ready finds
// the database open (it was opened only when first asked: that /ready was a 503 "opening?");
// closed on exit.
import { statfsSync } from "node:fs";
import type { EnvRecord } from "@pp/shared/config/parse-env.ts";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionStoreDir } from "@pp/shared/db/decision-store-dir.ts";
import { refuseUnusableStoreDir } from "@pp/shared/db/embedded/data-dir-problem.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { DecisionConfig } from "../config.ts";
import { closeWithin } from "./close-within.ts";
import { type DatabaseProvider, lazyDatabase } from "./lazy-database.ts";

/** Notified at the commit of any change to api_keys (migration 0015_api_keys_notify). */
const API_KEYS_CHANNEL = "pp_api_keys";

/** What follows api_keys changes (the key ring). */
interface KeyChangeFollower {
  /** api_keys changed in some process (or may have, while the listener was away). */
  reload(): Promise<void>;
  /** Changes are pushed now (true) or not (false: the follower checks for them itself). */
  changesPushed(live: boolean): void;
}

export interface EntryDatabase {
  database: DatabaseProvider;
  openSoon(): void;
  /**
   * Tells `follower` whenever api_keys changes in any process, and on (re)listening, when a change
   * may have been missed, and whether the listener is live: PostgreSQL only (on the embedded store
   * the key ring checks the table's digest every second).
   */
  followApiKeys(follower: KeyChangeFollower): void;
  /** Bytes free on the embedded store's disk; undefined on PostgreSQL or when it cannot be read. */
  freeDiskBytes(): number | undefined;
  close(): Promise<void>;
}

export function entryDatabase(config: DecisionConfig, logger: Logger): EntryDatabase {
  let handle: DatabaseHandle | undefined;
  let keysFollower: KeyChangeFollower | null = null;
  const database = lazyDatabase(async () => {
    // Imported here so that runtimes load the drivers only when a decision needs them.
    const { openDecisionDatabase } = await import("./open-decision-database.ts");
    try {
      handle = await openDecisionDatabase(config, (r) =>
        logger.info("adopted an older version's decision database", { ...r }),
      );
    } catch (err) {
      logger.warn("decision database unavailable", {
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
    logger.info("decision database ready", {
      driver: handle.driver,
      where: handle.driver === "postgres" ? "DATABASE_URL" : config.DECISION_DATA_DIR,
    });
    if (keysFollower) listenForKeyChanges(handle, logger, keysFollower);
    return handle.db;
  });
  return {
    database,
    openSoon() {
      // A failure is logged above, and the next use (a decision, /ready) tries again.
      database().catch(() => {});
    },
    followApiKeys(follower) {
      keysFollower = follower;
    },
    freeDiskBytes() {
      if (config.DATABASE_URL) return undefined;
      try {
        const disk = statfsSync(config.DECISION_DATA_DIR);
        return disk.bavail * disk.bsize;
      } catch {
        return undefined; // not created yet, or a runtime without statfs: the writes will tell
      }
    },
    async close() {
      if (handle) await closeWithin(handle, 3000);
    },
  };
}

/**
 * `config` once its embedded store's directory can hold one (DATABASE_URL unset): else a
 * ConfigError naming the variable that set it, which the entries print and exit 1 with. Opened
 * in the background, a file there left the service up, logging EEXIST, /ready 503 for good.
 */
export function withUsableStore(config: DecisionConfig, env: EnvRecord): DecisionConfig {
  if (config.DATABASE_URL) return config;
  refuseUnusableStoreDir(decisionStoreDir(env).variable, config.DECISION_DATA_DIR);
  return config;
}

/** LISTENs for api_keys changes (closed with the handle); the embedded store has no LISTEN. */
function listenForKeyChanges(
  handle: DatabaseHandle,
  logger: Logger,
  follower: KeyChangeFollower,
): void {
  if (!handle.listen) return;
  let lost = false;
  const changed = () => void follower.reload();
  handle.listen(API_KEYS_CHANNEL, {
    onNotify: changed,
    onListen: () => {
      if (lost) logger.info("listening for API key changes again", { channel: API_KEYS_CHANNEL });
      lost = false;
      follower.changesPushed(true);
      changed();
    },
    onError: (error) => {
      if (!lost) {
        logger.warn("API key listener lost; keys are checked every second until it is back", {
          error: String(error),
        });
      }
      lost = true;
      follower.changesPushed(false);
    },
  });
}
