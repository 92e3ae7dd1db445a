// `ml forget` switching a version's files while the forecast service loads it: the service read
// the row just before the switch, and the replaced files are deleted before it reads them. Real
// registry, store and database (both drivers); the switch is made to land right after the read.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { ModelRegistry, type ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import { openTestDatabase, testDrivers } from "@pp/shared/testing/test-databases.ts";
import { readProductionVersion } from "./registry-source.ts";

const dir = mkdtempSync(join(tmpdir(), "pp-registry-source-switch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const metricsNaming = (id: string) =>
  new TextEncoder().encode(JSON.stringify({ data: { dominant_customer: { id } } }));

/** A registry whose next production-version read is followed, before it answers, by `afterRead`. */
class SwitchAfterRead extends ModelRegistry {
  afterRead: ((read: ModelVersionInfo) => Promise<void>) | null = null;
  override async getProductionVersion(name: string) {
    const read = await super.getProductionVersion(name);
    const afterRead = this.afterRead;
    this.afterRead = null;
    if (read && afterRead) await afterRead(read);
    return read;
  }
}

for (const driver of testDrivers()) {
  describe(`a load racing ml forget's switch (${driver})`, () => {
    test("reads the row again and loads the rewritten revision", async () => {
      const t = await openTestDatabase(driver);
      try {
        const store = new FileArtifactStore(join(dir, driver));
        const registry = new SwitchAfterRead(t.handle.db, store);
        const input = registrationInput(plainCustomers(["k1"]), true);
        input.artifacts.push({ name: "metrics.json", bytes: metricsNaming("cust-7") });
        await registry.registerVersion("m", input);
        const redacted = metricsNaming("(erased customer)");
        // What ml forget does between the service's row read and its file reads.
        registry.afterRead = async (read) => {
          const files = [{ name: "metrics.json", bytes: redacted }];
          expect(await registry.rewriteArtifacts(read, async () => files)).not.toBeNull();
        };
        const { version, raw } = await loaded(registry, t.handle.db);
        const row = await registry.getProductionVersion("m");
        expect(version.artifactSha256).toBe(row?.artifactSha256 as string);
        expect(raw.identity.artifactSha256).toBe(row?.artifactSha256 as string);
        expect(raw.files.get("metrics.json")).toEqual(redacted);
      } finally {
        await t.cleanup();
      }
    });

    test("a file missing from the row it just read again is still a failure", async () => {
      const t = await openTestDatabase(driver);
      try {
        const store = new FileArtifactStore(join(dir, `${driver}-gone`));
        const registry = new SwitchAfterRead(t.handle.db, store);
        const input = registrationInput(plainCustomers(["k1"]), true);
        input.artifacts.push({ name: "metrics.json", bytes: metricsNaming("cust-7") });
        const version = await registry.registerVersion("m", input);
        const entry = version.artifacts.find((a) => a.name === "metrics.json");
        await store.delete(store.keyFor(entry?.uri as string));
        const error = await loaded(registry, t.handle.db).catch((e: Error) => e);
        expect(error).toMatchObject({ reason: "unavailable" });
        expect((error as Error).message).toContain("not found");
      } finally {
        await t.cleanup();
      }
    });
  });
}

function loaded(registry: ModelRegistry, db: Database) {
  return readProductionVersion(registry, db, "m", "registry (test)");
}
