// This process's clock read against the database's. A decision is stamped by the process that made
// it and an erasure by the database (customer-erasures.ts), so the decision log's writers place
// each decision on the database's clock before asking "was it made before the erasure?".
import { sql } from "drizzle-orm";
import { type Database, queryRows, type Transaction } from "../db/database.ts";
import { SharedInFlight } from "../process/request-scope.ts";

/** The database's clock minus this process's, and how far off that may be (half a round trip). */
export interface ClockReading {
  offsetMs: number;
  uncertaintyMs: number;
}

/** A reading older than this is taken again before the next write that needs one. */
const FRESH_MS = 10_000;
/** Readings kept: the one with the shortest round trip among them is used (queueing only adds). */
const KEPT_MS = 60_000;

interface Sample extends ClockReading {
  takenAt: number;
}

export class DatabaseClock {
  private samples: Sample[] = [];
  /** One reading at a time: concurrent writers share it (on Workers, those of one request). */
  private readonly pending = new SharedInFlight<ClockReading>();

  /** `now` is this process's clock (milliseconds since the epoch); tests pass a skewed one. */
  constructor(readonly now: () => number = Date.now) {}

  /** The best recent reading, read again from `db` when the newest is over 10 s old. */
  async reading(db: Database | Transaction): Promise<ClockReading> {
    const newest = this.samples[this.samples.length - 1];
    if (newest && this.now() - newest.takenAt < FRESH_MS) return this.best();
    return this.pending.run(() => this.sample(db));
  }

  private async sample(db: Database | Transaction): Promise<ClockReading> {
    const sent = this.now();
    const rows = await queryRows<{ ms: number | string }>(
      db as Database,
      sql`select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms`,
    );
    const received = this.now();
    const databaseMs = Number(rows[0]?.ms);
    if (!Number.isFinite(databaseMs)) throw new Error("the database's clock could not be read");
    this.samples = this.samples.filter((s) => received - s.takenAt < KEPT_MS);
    this.samples.push({
      offsetMs: databaseMs - (sent + received) / 2,
      uncertaintyMs: (received - sent) / 2,
      takenAt: received,
    });
    return this.best();
  }

  private best(): ClockReading {
    let best = this.samples[0] as Sample;
    for (const s of this.samples) if (s.uncertaintyMs < best.uncertaintyMs) best = s;
    return { offsetMs: best.offsetMs, uncertaintyMs: best.uncertaintyMs };
  }
}

const clocks = new WeakMap<object, DatabaseClock>();

/** The clock of writes to `db` that were given none (one per database handle). */
export function databaseClockOf(db: Database | Transaction): DatabaseClock {
  let clock = clocks.get(db);
  if (!clock) {
    clock = new DatabaseClock();
    clocks.set(db, clock);
  }
  return clock;
}
