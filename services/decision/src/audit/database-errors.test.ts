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
