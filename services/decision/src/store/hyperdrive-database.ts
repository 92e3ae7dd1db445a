// The decision service's database on Cloudflare Workers: PostgreSQL through a Hyperdrive binding.
// Workers forbid sharing a socket across requests (a module-scoped postgres.js client answered 200
// but lost rows and later failed with "a promise was resolved from a different request context"),
// so every request gets its own client, opened on first use and closed inside ctx.waitUntil.
// The request's client is found through AsyncLocalStorage (nodejs_compat), so the app's
// components keep taking a plain DatabaseProvider. Migrations run at deploy, never here.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Database } from "@pp/shared/db/database.ts";
import * as schema from "@pp/shared/db/schema.ts";
import { setRequestScope } from "@pp/shared/process/request-scope.ts";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { DatabaseProvider } from "./lazy-database.ts";

/** The part of a Workers Hyperdrive binding used here. */
export interface HyperdriveBinding {
  connectionString: string;
}

export function isHyperdriveBinding(value: unknown): value is HyperdriveBinding {
  return typeof (value as HyperdriveBinding | undefined)?.connectionString === "string";
}

/** What Workers give a request: a way to keep work alive after the response. */
interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

class RequestDatabase {
  private client: postgres.Sql | undefined;
  private db: Database | undefined;

  constructor(private readonly connectionString: string) {}

  get(): Database {
    if (!this.db) {
      // Hyperdrive pools the real connections; a request needs at most a couple. Unnamed
      // statements: a client lives for one request, so a named one (the decision log's insert)
      // was never reused, and its Parse+Describe took a round trip of its own before each write.
      this.client = postgres(this.connectionString, {
        max: 2,
        prepare: false,
        fetch_types: false,
        connect_timeout: 5,
        onnotice: () => {},
      });
      this.db = drizzle(this.client, { schema }) as unknown as Database;
    }
    return this.db;
  }

  /** Ends the client (if one was opened); never throws. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.db = undefined;
    await client?.end({ timeout: 2 }).catch(() => {});
  }
}

export interface HyperdriveDatabase {
  /** The current request's database (rejects outside `run`). */
  provider: DatabaseProvider;
  /** Runs `handle` with a request-scoped database, closed in `ctx.waitUntil` afterwards. */
  run<T>(ctx: WaitUntil, handle: () => Promise<T>): Promise<T>;
}

export function hyperdriveDatabase(binding: HyperdriveBinding): HyperdriveDatabase {
  const scope = new AsyncLocalStorage<RequestDatabase>();
  // Work one request began is joined only by that request (shared/process/request-scope.ts).
  setRequestScope(() => scope.getStore());
  return {
    provider: async () => {
      const current = scope.getStore();
      if (!current) throw new Error("the database is only available while serving a request");
      return current.get();
    },
    async run(ctx, handle) {
      const request = new RequestDatabase(binding.connectionString);
      try {
        return await scope.run(request, handle);
      } finally {
        ctx.waitUntil(request.close());
      }
    },
  };
}
