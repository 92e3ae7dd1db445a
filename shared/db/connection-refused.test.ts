import { expect, test } from "bun:test";
import { connectionRefusedReason, redactedDatabaseUrl } from "./connection-refused.ts";

const withCode = (code: string, message = `failed: ${code}`, cause?: unknown) =>
  Object.assign(new Error(message), { code, cause });

test("a refused login, database or host: the driver's message and the URL's part to check", () => {
  expect(connectionRefusedReason(withCode("28000", 'role "unknown" does not exist'))).toEqual({
    code: "28000",
    message: 'role "unknown" does not exist',
    check: "its user (pass postgres://USER@host/db, or set PGUSER)",
  });
  expect(connectionRefusedReason(withCode("28P01"))?.check).toBe("its user and password");
  expect(connectionRefusedReason(withCode("3D000"))?.check).toContain("database name");
  // drizzle's wrapper around the driver's error
  expect(
    connectionRefusedReason(new Error("Failed query", { cause: withCode("ENOTFOUND") }))?.code,
  ).toBe("ENOTFOUND");
});

test("anything else, a lost connection included: null", () => {
  expect(connectionRefusedReason(withCode("ECONNREFUSED"))).toBeNull(); // the server is down: retry
  expect(connectionRefusedReason(withCode("23505"))).toBeNull();
  expect(connectionRefusedReason(new Error("plain"))).toBeNull();
  expect(connectionRefusedReason(null)).toBeNull();
});

test("the URL in messages never shows its password", () => {
  expect(redactedDatabaseUrl("postgres://app:s3cret@db:5432/shop")).toBe(
    "postgres://app:***@db:5432/shop",
  );
  expect(redactedDatabaseUrl("postgres://db/shop")).toBe("postgres://db/shop");
  expect(redactedDatabaseUrl("not a url s3cret")).not.toContain("s3cret");
});
