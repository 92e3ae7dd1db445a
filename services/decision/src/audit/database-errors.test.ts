// What /ready and the logs say of a database error: an SQLSTATE and its class, a network code, or
// the migration refused at start, never the statement or its parameters.
import { expect, test } from "bun:test";
import { MigrationError } from "@pp/shared/db/migration-failure.ts";
import { safeReason } from "./database-errors.ts";

test("a refused migration is named with the database's reason (it was 'SQLSTATE 42P07 (database error)')", () => {
  const error = new MigrationError(
    "0012_campaign_shares",
    "42P07",
    'relation "campaign_shares" already exists',
  );
  expect(safeReason(new Error("opening the decision database", { cause: error }))).toBe(
    'migration 0012_campaign_shares could not be applied (42P07: relation "campaign_shares" already exists)',
  );
});

test("other errors keep their short form", () => {
  const refused = Object.assign(new Error("insert into decision_log … 'c-1'"), { code: "22P05" });
  expect(safeReason(refused)).toBe("SQLSTATE 22P05 (data exception)");
  expect(safeReason(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(
    "database unreachable (ECONNREFUSED)",
  );
});

// An SRE probe: a statement_timeout read "server shutting down or unavailable", and a wait on a
// lock or on a busy pool "database unreachable (TIMEOUT)", while the database was up.
test("a cancelled statement and a wait past its bound are named as what they may be", () => {
  expect(safeReason(Object.assign(new Error("canceling statement"), { code: "57014" }))).toBe(
    "SQLSTATE 57014 (statement cancelled: statement_timeout, or a cancel)",
  );
  expect(safeReason(Object.assign(new Error("x"), { code: "57P01" }))).toBe(
    "SQLSTATE 57P01 (server shutting down or unavailable)",
  );
  expect(safeReason(Object.assign(new Error("reading timed out"), { code: "TIMEOUT" }))).toBe(
    "no answer in time (TIMEOUT: the database away, or the query waiting on a lock or a connection)",
  );
});
