// What a registry that cannot be read says (/ready's reason, the load failure's log line): the
// driver's own words, not drizzle's "Failed query: <1 KB of SQL> params: …", nor an address.
import { expect, test } from "bun:test";
import type { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { productionVersion } from "./registry-source.ts";

test("a registry that cannot be read is unreachable in the driver's words, its address left out", async () => {
  const driver = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
    code: "ECONNREFUSED",
  });
  const wrapped = new Error(
    `Failed query: select "model_versions"."id" ${"x".repeat(1000)} params: purchase`,
    {
      cause: driver,
    },
  );
  const registry = {
    getProductionVersion: () => Promise.reject(wrapped),
  } as unknown as ModelRegistry;
  const error = await productionVersion(registry, "purchase").catch((e) => e);
  expect(error.reason).toBe("unavailable");
  // By its code: /ready is open to anyone, and the message named the database's address.
  expect(error.message).toBe("registry unreachable: ECONNREFUSED");
});
