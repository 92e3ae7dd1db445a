// A migration the database refused, named: drizzle's error carries the failing statement's text,
// which named no migration (an operator whose database already had a table got 44 lines of stack
// from `db:migrate`, and "SQLSTATE 42P07 (database error)" from the decision service's /ready).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errorChain } from "../errors/error-chain.ts";

export class MigrationError extends Error {
  override readonly name = "MigrationError";
  constructor(
    /** The migration's tag (`0012_campaign_shares`), when the failing statement is found in one. */
    readonly migration: string | null,
    /** The database's SQLSTATE, or a network error code, when there is one. */
    readonly code: string | undefined,
    /** The database's own words (`relation "campaign_shares" already exists`). */
    readonly reason: string,
    cause?: unknown,
  ) {
    super(
      `${migration ? `migration ${migration}` : "the migrations"} could not be applied: ${reason}` +
        `${code ? ` (${code})` : ""}; the pending migrations run in one transaction, so none of ` +
        "them is applied and the earlier ones are unchanged. Fix the cause (a table made by hand, " +
        "a connection lost) and start again",
      { cause },
    );
  }
}

/** `run` (applying the migrations in `folder`), with a failure thrown as a MigrationError. */
export async function namingMigration<T>(folder: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw migrationError(folder, error);
  }
}

function migrationError(folder: string, error: unknown): MigrationError {
  const chain = errorChain(error);
  const query = chain
    .map((e) => (e as { query?: unknown }).query)
    .find((q): q is string => typeof q === "string");
  const code = chain
    .map((e) => (e as { code?: unknown }).code)
    .find((c): c is string => typeof c === "string" && c.length > 0);
  // The database's error is the deepest in the chain; drizzle's wrapper repeats the query.
  const deepest = chain[chain.length - 1];
  const reason = deepest instanceof Error ? deepest.message : String(deepest);
  return new MigrationError(query ? migrationHolding(folder, query) : null, code, reason, error);
}

/** The tag of the migration whose file holds `statement`, or null. */
function migrationHolding(folder: string, statement: string): string | null {
  const text = statement.trim();
  if (text === "") return null;
  try {
    const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as {
      entries: Array<{ tag: string }>;
    };
    const found = journal.entries.find(({ tag }) =>
      readFileSync(join(folder, `${tag}.sql`), "utf8").includes(text),
    );
    return found?.tag ?? null;
  } catch {
    return null;
  }
}
