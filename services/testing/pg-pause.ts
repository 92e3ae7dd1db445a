// PostgreSQL triggers that hold a CLI's INSERT or UPDATE of a table, or its COMMIT, so that a
// kill -9 test kills it there; and pg_stat_activity waits for that moment and for the end.
import postgres from "postgres";
import type { KillPlan } from "./cli-kill.ts";

export type Phase = "insert" | "update" | "commit";

export type Statement = "insert" | "update";

export interface PauseSpec {
  table: string;
  /** The statement held, or several (each its own phase). */
  statement: Statement | readonly Statement[];
  /** Also hold the COMMIT (a deferred constraint trigger after the first statement). */
  commit?: boolean;
  /** Hold only rows for which this plpgsql condition holds (e.g. `new.active`). */
  when?: string;
  /** The moment is reached only once the backend sleeps in the trigger, not while it parses. */
  sleeping?: boolean;
}

/** The triggers of `spec`: each sleeps for the ms of its phase's row in test_pause (none: 0). */
export function pauseSql({ table, statement, commit, when }: PauseSpec): string {
  const statements = typeof statement === "string" ? [statement] : statement;
  const sleep = `perform pg_sleep(coalesce((select ms from test_pause where phase = tg_argv[0]), 0) / 1000.0);`;
  const body = when ? `if ${when} then\n    ${sleep}\n  end if;` : sleep;
  const triggers = statements.map(
    (s) => `
create trigger test_pause_${s} before ${s} on ${table}
  for each row execute function test_pause('${s}');`,
  );
  const held = `
create table test_pause (phase text primary key, ms integer not null);
create function test_pause() returns trigger language plpgsql as $$
begin
  ${body}
  return new;
end $$;${triggers.join("")}`;
  if (!commit) return held;
  return `${held}
create constraint trigger test_pause_commit after ${statements[0]} on ${table}
  deferrable initially deferred for each row execute function test_pause('commit');`;
}

/** The pause triggers of `spec` in the database at `url`, through an admin connection of its own. */
export class StatementPause {
  private constructor(
    private readonly admin: postgres.Sql,
    private readonly spec: PauseSpec,
  ) {}

  static async install(url: string, spec: PauseSpec): Promise<StatementPause> {
    const admin = postgres(url, { max: 2, onnotice: () => {} });
    await admin.unsafe(pauseSql(spec));
    return new StatementPause(admin, spec);
  }

  /**
   * Holds `phase` for `ms` from now on (null: holds nothing). The kill follows 2-13 ms after the
   * held statement began (12 kills measured): 500 ms leaves a wide margin, and a killed backend
   * sleeps out the rest before it ends (`settled` waits for that).
   */
  async hold(phase: Phase | null, ms = 500): Promise<void> {
    await this.admin`delete from test_pause`;
    if (phase) await this.admin`insert into test_pause values (${phase}, ${ms})`;
  }

  /**
   * A kill moment: `phase` held until a CLI is seen in it, then released (so the rerun that
   * follows is not held).
   */
  async moment(phase: Phase): Promise<void> {
    await this.hold(phase);
    await this.reached(phase);
    await this.hold(null);
  }

  /** Round i's CLI killed in `phases[i]`, each round settled before it is counted. */
  plan(phases: readonly Phase[]): KillPlan {
    return {
      moment: (i) => {
        const phase = phases[i % phases.length];
        if (!phase) throw new Error("a kill plan needs a phase");
        return this.moment(phase);
      },
      settle: () => this.settled(),
    };
  }

  /** Resolves once another backend is in `phase` (a statement of the table, or a COMMIT). */
  async reached(phase: Phase): Promise<void> {
    const { table, sleeping } = this.spec;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(10)) {
      const rows = await this.admin<{ query: string; wait: string | null }[]>`
        select query, wait_event as wait from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`;
      const hit = rows.some(({ query, wait }) => {
        const q = query.trimStart().toLowerCase();
        if (sleeping && wait !== "PgSleep") return false;
        return phase === "commit"
          ? q.startsWith("commit")
          : q.startsWith(`${phase} `) && q.includes(`"${table}"`);
      });
      if (hit) return;
    }
    throw new Error(`no CLI reached ${phase} within 30 s`);
  }

  /** Waits until no other backend of the database is in a transaction (a killed one ended). */
  async settled(): Promise<void> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(20)) {
      const [row] = await this.admin<{ n: number }[]>`select count(*)::int as n
        from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
        and xact_start is not null and state <> 'idle'`;
      if (row?.n === 0) return;
    }
    throw new Error("a killed CLI's backend is still in a transaction after 30 s");
  }

  end(): Promise<void> {
    return this.admin.end();
  }
}
