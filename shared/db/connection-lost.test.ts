import { expect, test } from "bun:test";
import { connectionLostCode } from "./connection-lost.ts";

const withCode = (code: string, cause?: unknown) =>
  Object.assign(new Error(`failed: ${code}`), { code, cause });

test("a lost connection, in the error or a cause: its code", () => {
  expect(connectionLostCode(withCode("CONNECTION_CLOSED"))).toBe("CONNECTION_CLOSED");
  expect(connectionLostCode(withCode("CONNECT_TIMEOUT"))).toBe("CONNECT_TIMEOUT");
  expect(connectionLostCode(withCode("57P01"))).toBe("57P01"); // terminating: admin shutdown
  expect(connectionLostCode(withCode("08006"))).toBe("08006");
  expect(connectionLostCode(withCode("53300"))).toBe("53300"); // too many connections
  // The database closed to connections (ALLOW_CONNECTIONS false): 55000 with this message only.
  const closed = Object.assign(
    new Error('database "shop" is not currently accepting connections'),
    { code: "55000" },
  );
  expect(connectionLostCode(closed)).toBe("55000");
  // drizzle wraps the driver's error in its own ("Failed query: …") with the driver's as cause
  expect(connectionLostCode(new Error("Failed query", { cause: withCode("ECONNRESET") }))).toBe(
    "ECONNRESET",
  );
});

test("anything else: null (a refused statement is not a lost connection)", () => {
  expect(connectionLostCode(withCode("23505"))).toBeNull(); // unique violation
  expect(connectionLostCode(withCode("22P05"))).toBeNull();
  expect(connectionLostCode(withCode("55000"))).toBeNull(); // another object-state error
  expect(connectionLostCode(new Error("plain"))).toBeNull();
  expect(connectionLostCode(null)).toBeNull();
  expect(connectionLostCode("CONNECTION_CLOSED")).toBeNull();
  const cycle: { code?: string; cause?: unknown } = {};
  cycle.cause = cycle;
  expect(connectionLostCode(cycle)).toBeNull(); // bounded
});
