import { describe, expect, test } from "bun:test";
import * as z from "zod";
import { DECIMAL_ID_MAX, decimalIdFrom, decimalIdParam } from "./decimal-id.ts";

describe("decimal ids", () => {
  test("decimal digits from 1 to the int4 maximum are read", () => {
    expect(decimalIdFrom("1")).toBe(1);
    expect(decimalIdFrom("15")).toBe(15);
    expect(decimalIdFrom(String(DECIMAL_ID_MAX))).toBe(DECIMAL_ID_MAX);
  });

  test("everything Number() would also read is refused", () => {
    const written =
      "0 00 02 0x10 0b1 0o7 1e1 15e0 +2 -2 2.0 2. 1_000 １２ Infinity NaN 99999999999";
    const refused = [undefined, "", " 2", "2 ", String(DECIMAL_ID_MAX + 1), ...written.split(" ")];
    for (const text of refused) expect([text, decimalIdFrom(text)]).toEqual([text, null]);
  });

  test("as a parameter schema: the number, or an issue naming what was expected", () => {
    const params = z.object({ id: decimalIdParam("a key id") });
    expect(params.parse({ id: "42" })).toEqual({ id: 42 });
    const failed = params.safeParse({ id: "0x2a" });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]?.path).toEqual(["id"]);
    expect(failed.error?.issues[0]?.message).toBe(
      `must be a key id: decimal digits, 1 to ${DECIMAL_ID_MAX}`,
    );
  });
});
