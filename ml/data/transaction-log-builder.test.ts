// The builder's customer numbering: ids interned on first sight, and ids registered in bulk as
// distinct numbered in order, with later look-ups agreeing with that order.

import { describe, expect, test } from "bun:test";
import { TransactionLogBuilder } from "./transaction-log-builder.ts";

describe("TransactionLogBuilder customer numbers", () => {
  test("customerNumber interns ids in order of first sight", () => {
    const b = new TransactionLogBuilder({ withQuantity: false });
    expect([b.customerNumber("x"), b.customerNumber("y"), b.customerNumber("x")]).toEqual([
      0, 1, 0,
    ]);
    expect(b.finish().customerIds).toEqual(["x", "y"]);
  });

  test("distinct ids added in bulk are numbered in order and found by later look-ups", () => {
    const b = new TransactionLogBuilder({ withQuantity: false });
    expect(b.customerNumber("a")).toBe(0);
    b.addDistinctCustomers(["b", "c", "d"]);
    expect(b.customerCount).toBe(4);
    expect(["d", "a", "c", "b"].map((id) => b.customerNumber(id))).toEqual([3, 0, 2, 1]);
    expect(b.customerNumber("e")).toBe(4);
    b.addDistinctCustomers(["f"]);
    expect([b.customerNumber("f"), b.customerNumber("e")]).toEqual([5, 4]);
    expect(b.finish().customerIds).toEqual(["a", "b", "c", "d", "e", "f"]);
  });
});
