// The operationId check both services' document tests rely on: it must name a missing, a
// non-camelCase and a repeated id, or those tests could not fail.
import { expect, test } from "bun:test";
import { operationIdProblems } from "./openapi-checks.ts";

test("operationIdProblems names missing, non-camelCase and repeated ids", () => {
  const doc = {
    paths: {
      "/a": { get: { operationId: "getA" }, post: {} },
      "/b": { get: { operationId: "get_b" }, post: { operationId: "getA" } },
    },
  };
  expect(operationIdProblems(doc)).toEqual([
    "post /a: operationId undefined is not camelCase",
    'get /b: operationId "get_b" is not camelCase',
    "post /b: operationId getA is used twice",
  ]);
  expect(operationIdProblems({ paths: { "/a": { get: { operationId: "getA" } } } })).toEqual([]);
});
