// The policies the decision service runs: versioned definitions in the `policies` table
// (through the shared PolicyStore). The active one is kept in memory: a decision costs no query.
// Past `cacheMs` it is re-read: while the database answers, the first decision past it waits
// for the read (bounded, 0.5 s), so a policy another process activated (`ml campaign learn
// --activate`) is used within `cacheMs` even by an idle service; after a failed read the copy
// keeps serving at once and re-reads happen in the background, so a database outage never stalls
// decisions (backing off from 1 s to 30 s). The very first read waits. An empty table is seeded
// with the built-in named policies, `default` active.
import type { PolicyRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { outwardDriverMessage } from "@pp/shared/errors/driver-message.ts";
import { validationError } from "@pp/shared/errors/validation.ts";
import type { ReadinessResult } from "@pp/shared/http/readiness.ts";
import { namedPolicies } from "@pp/shared/policy/named-policies.ts";
import {
  type ActivePolicy,
  parseNewPolicyDefinition,
  storedPolicy,
  storedPolicyDefinitionSchema,
} from "@pp/shared/policy/policy-definition.ts";
import { joinable, requestScope, SharedInFlight } from "@pp/shared/process/request-scope.ts";
import { atMost, within } from "@pp/shared/process/within.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { RegistryInputError, RegistryNotFoundError } from "@pp/shared/registry/registry-errors.ts";
import type { DatabaseProvider } from "../store/lazy-database.ts";
import { readWithStatementTimeout } from "../store/statement-timeout.ts";

export interface PolicyView {
  name: string;
  version: number;
  active: boolean;
  created_at: string;
  activated_at: string | null;
  definition: unknown;
}

function policyView(row: PolicyRow): PolicyView {
  return {
    name: row.name,
    version: row.version,
    active: row.active,
    created_at: row.createdAt.toISOString(),
    activated_at: row.activatedAt ? row.activatedAt.toISOString() : null,
    definition: row.definition,
  };
}

/** Longest a decision waits for a stale copy's re-read while the database answers. */
const STALE_WAIT_MS = 500;
/** How long a readiness probe's read of the active policy answers later probes (no copy held). */
const PROBE_REUSE_MS = 1000;

export class PolicyCatalog {
  private cached: { policy: ActivePolicy; at: number } | null = null;
  /** A read of the active policy (on Workers only the request that began it waits on it). */
  private readonly loading = new SharedInFlight<ActivePolicy>();
  /** The read in the database (the database cancels it at the same bound, statement-timeout.ts):
   * one at a time, also after its callers gave up on it (a read stuck on a lock is waited on
   * again, not joined by another); one older than two read bounds (a connect that hangs) is left. */
  private readonly querying: SharedInFlight<ActivePolicy>;
  private loadingSince = 0;
  /** Moved by an activation here: a read begun before it neither becomes the copy nor is reused. */
  private generation = 0;
  private failures = 0;
  /** The last readiness probe's read while no copy was held (reused for PROBE_REUSE_MS). */
  private probe: {
    at: number;
    generation: number;
    result: Promise<ReadinessResult>;
    scope: object | undefined;
  } | null = null;
  /** Why the last read failed (cleared by a good one). */
  private lastFailure = "";
  private retryAt = 0;
  private readonly cacheMs: number;
  private readonly readTimeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly database: DatabaseProvider,
    options: { cacheMs?: number; now?: () => number; readTimeoutMs?: number } = {},
  ) {
    this.cacheMs = options.cacheMs ?? 5000;
    this.readTimeoutMs = options.readTimeoutMs ?? 5000;
    this.now = options.now ?? (() => Date.now());
    this.querying = new SharedInFlight({ staleMs: 2 * this.readTimeoutMs, now: this.now });
  }

  private async store(): Promise<PolicyStore> {
    return new PolicyStore(await this.database());
  }

  /** The active policy (the last good copy); 503 when none was ever had. */
  async active(): Promise<ActivePolicy> {
    const cached = this.cached;
    if (cached) {
      if (this.now() - cached.at >= this.cacheMs && this.now() >= this.retryAt) {
        // Answered from the copy, the first decision of an idle service ran under a policy
        // replaced minutes before by another process. Once a read failed, the copy answers now.
        // The wait is the read's first STALE_WAIT_MS, shared: a read stuck (a lock) made every
        // decision meanwhile wait its own 0.5 s.
        if (this.failures === 0) {
          const reload = this.reload().catch(() => null);
          const left = STALE_WAIT_MS - (this.now() - this.loadingSince);
          const fresh = left > 0 ? await atMost(reload, left) : undefined;
          return fresh ?? cached.policy;
        }
        void this.reload().catch(() => {});
      }
      return cached.policy;
    }
    try {
      return await this.reload();
    } catch (err) {
      // The driver's message: drizzle's own holds the query, answered to every client.
      throw new AppError(
        "unavailable",
        `No decision policy available: ${outwardDriverMessage(err)}`,
        {
          details: { policy: { reason: "unreadable" } },
          headers: { "Retry-After": "1" },
          cause: err,
        },
      );
    }
  }

  /**
   * Readiness (the `policy` check): failing while decisions have no policy to run, the active one
   * unreadable or invalid and no good copy held (every decision a 503); degraded while a good
   * copy serves after a failed re-read. A store with no active policy yet is ready, as before
   * this check: the first decision stores the built-in policies and activates `default` (the
   * probe only reads). Before, /ready said 200 while every decision was a 503.
   */
  async check(): Promise<ReadinessResult> {
    const cached = this.cached;
    if (cached) {
      if (this.failures === 0) return { ok: true };
      const { name, version } = cached.policy;
      return {
        ok: true,
        degraded: true,
        reason: `serving ${name} v${version}, the last good copy: ${this.lastFailure}`,
      };
    }
    // No copy: one read serves every probe for up to a second (50 probes a second were 50 reads
    // a second of the active row, on each replica), and an activation here ends it at once.
    const probe = this.probe;
    const now = this.now();
    if (
      probe &&
      joinable(probe.scope) &&
      probe.generation === this.generation &&
      now - probe.at < PROBE_REUSE_MS
    ) {
      return probe.result;
    }
    const generation = this.generation;
    const result = this.probeRead(generation);
    this.probe = { at: now, generation, result, scope: requestScope() };
    return result;
  }

  /** The probe's read of the active row; a good one becomes the copy decisions use. */
  private async probeRead(generation: number): Promise<ReadinessResult> {
    try {
      const db = await this.database();
      const row = await readWithStatementTimeout(db, this.readTimeoutMs, (tx) =>
        new PolicyStore(tx).getActive(),
      );
      if (row) {
        const policy = storedPolicy(row);
        // Only read: a fresh store (no row) is still seeded by the first decision.
        if (generation === this.generation && !this.cached) {
          this.cached = { policy, at: this.now() };
          // A good read, as a decision's: the failed ones before it are over.
          this.failures = 0;
          this.lastFailure = "";
          this.retryAt = 0;
        }
      }
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `no decision policy available: ${outwardDriverMessage(err)}` };
    }
  }

  /** One read at a time; a failure pushes the next background attempt back (1 s .. 30 s). */
  private reload(): Promise<ActivePolicy> {
    return this.loading.run(() => {
      this.loadingSince = this.now();
      return this.readActive();
    });
  }

  /** The active policy, bounded in time (joining a read still in the database); failures counted. */
  private readActive(): Promise<ActivePolicy> {
    const generation = this.generation;
    const read = this.querying.run(() => this.load(generation));
    return within(read, this.readTimeoutMs, "reading the active policy").then(
      (policy) => {
        this.failures = 0;
        this.lastFailure = "";
        this.retryAt = 0;
        return policy;
      },
      (err) => {
        this.failures++;
        this.lastFailure = outwardDriverMessage(err);
        this.retryAt = this.now() + Math.min(30_000, 1000 * 2 ** (this.failures - 1));
        throw err;
      },
    );
  }

  private async load(generation: number): Promise<ActivePolicy> {
    const db = await this.database();
    // The database gives up at the read's bound too, so a read stuck on a lock frees its connection.
    let row = await readWithStatementTimeout(db, this.readTimeoutMs, (tx) =>
      new PolicyStore(tx).getActive(),
    );
    if (!row) row = await this.seed(new PolicyStore(db));
    // Read as stored: the limits on new definitions must not lock out what a release stored.
    const policy = storedPolicy(row);
    if (generation === this.generation) this.cached = { policy, at: this.now() };
    return policy;
  }

  /** Stores the built-in policies (v1 each) and activates `default`, unless someone did. */
  private seed(store: PolicyStore): Promise<PolicyRow> {
    return store.seedActive(namedPolicies, "default", "latest");
  }

  /** Validates and stores a new version of `name`; returns it (inactive). */
  async add(name: string, definition: unknown): Promise<PolicyView> {
    const parsed = parseNewPolicyDefinition(definition);
    if (!parsed.success) {
      throw validationError(parsed.issues.map((i) => ({ ...i, path: ["definition", ...i.path] })));
    }
    try {
      return policyView(await (await this.store()).add(name, parsed.data));
    } catch (err) {
      if (err instanceof RegistryInputError) {
        throw validationError([{ path: [err.field], message: err.problem }]);
      }
      throw err;
    }
  }

  async activate(name: string, version: number): Promise<PolicyView> {
    const store = await this.store();
    const row = await store.get(name, version);
    if (!row) throw new AppError("not_found", `Policy "${name}" has no version ${version}`);
    // Any version stored can be activated again, as it could when it was stored.
    if (!storedPolicyDefinitionSchema.safeParse(row.definition).success) {
      throw new AppError("conflict", `Policy "${name}" v${version} has an invalid definition`);
    }
    try {
      const activated = await store.activate(name, version);
      // This process switches at once (others within cacheMs): a read in flight may have begun
      // before the activation, so its copy goes too.
      await this.loading.inFlight()?.catch(() => {});
      this.generation++;
      this.querying.forget();
      this.cached = null;
      return policyView(activated);
    } catch (err) {
      if (err instanceof RegistryNotFoundError) throw new AppError("not_found", err.message);
      throw err;
    }
  }

  async list(name?: string): Promise<PolicyView[]> {
    return (await (await this.store()).list(name)).map(policyView);
  }

  async get(name: string, version: number): Promise<PolicyView> {
    const row = await (await this.store()).get(name, version);
    if (!row) throw new AppError("not_found", `Policy "${name}" has no version ${version}`);
    return policyView(row);
  }
}
