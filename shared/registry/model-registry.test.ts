// The model registry on both drivers: registration with artifacts and customer features, checksum
// verification, promotion and rollback, crash safety, concurrent promotions/registrations, and
// the production-version poll as a prepared statement.

import {
  afterAll,
  beforeAll,
  describe,
  expect,
  setDefaultTimeout,
  setSystemTime,
  test,
} from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { and, eq, sql } from "drizzle-orm";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import { sha256Hex } from "../artifacts/sha256.ts";
import { createDatabase } from "../db/client.ts";
import { type Database, queryRows } from "../db/database.ts";
import { customerFeatures, models, modelVersions } from "../db/schema.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { listModelsCommand, promoteCommand, rollbackCommand } from "./commands.ts";
import {
  MODEL_PRODUCTION_CHANNEL,
  ModelRegistry,
  type RegisterVersionInput,
  type RegistrationFaultPoint,
  readProductionVersion,
} from "./model-registry.ts";
import {
  ArtifactChecksumError,
  RegistryInputError,
  RegistryNotFoundError,
  RegistryStateError,
} from "./registry-errors.ts";

// Real databases on a shared 2-core machine: Bun's 5 s default is too tight for PGlite.
setDefaultTimeout(60_000);

const encoder = new TextEncoder();

/** The value, or a test failure naming what was missing. */
function must<T>(value: T | null | undefined, what = "value"): T {
  if (value === null || value === undefined) throw new Error(`expected a ${what}`);
  return value;
}

function input(overrides: Partial<RegisterVersionInput> = {}): RegisterVersionInput {
  return {
    artifacts: [
      { name: "gbdt.onnx", bytes: new Uint8Array([8, 1, 18, 4, 116, 101, 115, 116]) },
      { name: "btyd-params.json", bytes: encoder.encode('{"r":0.24,"alpha":4.41}') },
      { name: "metrics.json", bytes: encoder.encode('{"mae":0.61}') },
      { name: "report/index.html", bytes: encoder.encode("<h1>report</h1>") },
    ],
    params: { model: "bgnbd", r: 0.24, alpha: 4.41, a: 0.79, b: 2.43 },
    metrics: { mae: 0.61, rmse: 1.2, customers: 2357 },
    dataWindow: {
      calibrationStart: "1997-01-01",
      calibrationEnd: "1997-09-30",
      holdoutEnd: "1998-06-30",
    },
    timeUnit: "week",
    trainedAt: "2026-11-28T12:00:00Z",
    ...overrides,
  };
}

for (const driver of testDrivers()) {
  describe(`ModelRegistry on ${driver}`, () => {
    let t: TestDatabase;
    let storeDir: string;
    let registry: ModelRegistry;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      storeDir = mkdtempSync(join(tmpdir(), "pp-registry-store-"));
      registry = new ModelRegistry(t.handle.db, new FileArtifactStore(storeDir));
    }, 60_000);
    afterAll(async () => {
      await t?.cleanup();
      rmSync(storeDir, { recursive: true, force: true });
    }, 30_000);

    test("registers numbered versions with artifacts, window, params, metrics", async () => {
      const v1 = await registry.registerVersion("reg-basic", input());
      const v2 = await registry.registerVersion("reg-basic", input({ metrics: { mae: 0.5 } }));
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v1.stage).toBe("staging");
      expect(v1.promotedAt).toBeNull();
      const loaded = must(await registry.getVersion("reg-basic", 1), "version 1");
      expect(loaded.params).toEqual(input().params);
      expect(loaded.metrics).toEqual(input().metrics);
      expect(loaded.dataWindow).toEqual(input().dataWindow);
      expect(loaded.calibrationEnd).toBe("1997-09-30");
      expect(loaded.holdoutEnd).toBe("1998-06-30");
      expect(loaded.trainedAt.toISOString()).toBe("2026-11-28T12:00:00.000Z");
      expect(loaded.artifacts.map((a) => a.name)).toEqual([
        "btyd-params.json",
        "gbdt.onnx",
        "metrics.json",
        "report/index.html",
      ]);
      for (const artifact of input().artifacts) {
        const bytes = await registry.loadArtifact(loaded, artifact.name);
        expect(bytes).toEqual(artifact.bytes);
        const entry = must(loaded.artifacts.find((a) => a.name === artifact.name));
        expect(entry.sha256).toBe(await sha256Hex(artifact.bytes));
        expect(entry.uri.startsWith(`${loaded.artifactUri}/`)).toBe(true);
      }
      await registry.verifyVersion(loaded);
      // The two versions never share files.
      expect(v1.artifactUri).not.toBe(v2.artifactUri);
      expect(await registry.getVersion("reg-basic", 3)).toBeNull();
    });

    test.skipIf(driver !== "postgres")(
      "every change of a production version notifies its model's name, once per commit",
      async () => {
        const received: string[] = [];
        const listen = must(t.handle.listen, "listen on PostgreSQL");
        const listener = listen(MODEL_PRODUCTION_CHANNEL, {
          onNotify: (name) => received.push(name),
          onListen: () => {},
        });
        try {
          const deadline = performance.now() + 20_000;
          while (!listener.listening && performance.now() < deadline) await Bun.sleep(20);
          const expected: string[] = [];
          const settled = async () => {
            const until = performance.now() + 10_000;
            while (received.length < expected.length && performance.now() < until) {
              await Bun.sleep(20);
            }
            await Bun.sleep(150); // and nothing more arrives
            expect(received).toEqual(expected);
          };
          await registry.registerVersion("reg-notify", input()); // staging: silent
          await settled();
          await registry.registerVersion("reg-notify", input({ promote: true }));
          expected.push("reg-notify");
          await settled();
          // Archive v2 and promote v1 in one transaction: one notification.
          await registry.promote("reg-notify", 1);
          expected.push("reg-notify");
          await settled();
          await registry.rollback("reg-notify");
          expected.push("reg-notify");
          await settled();
          await registry.promote("reg-notify", 2); // production already: no change, silent
          await settled();
          // A hand-written update notifies too; a rolled-back one does not.
          const ofModel = sql`model_id = (select id from models where name = 'reg-notify')`;
          await t.handle.db.execute(
            sql`update model_versions set stage = 'archived' where stage = 'production' and ${ofModel}`,
          );
          expected.push("reg-notify");
          await settled();
          await t.handle.db
            .transaction(async (tx) => {
              await tx.execute(
                sql`update model_versions set stage = 'production' where version = 1 and ${ofModel}`,
              );
              throw new Error("rolled back");
            })
            .catch(() => {});
          await settled();
          await registry.registerVersion("reg-notify-other", input({ promote: true }));
          expected.push("reg-notify-other");
          await settled();
        } finally {
          await listener.close();
        }
      },
    );

    test("a tampered artifact is refused with a clear checksum error", async () => {
      const v = await registry.registerVersion("reg-tamper", input());
      const entry = must(v.artifacts.find((a) => a.name === "gbdt.onnx"));
      writeFileSync(fileURLToPath(entry.uri), new Uint8Array([8, 1, 18, 4, 116, 101, 115, 117]));
      const error = await registry.loadArtifact(v, "gbdt.onnx").catch((e) => e);
      expect(error).toBeInstanceOf(ArtifactChecksumError);
      expect(error.message).toContain('checksum mismatch for artifact "gbdt.onnx"');
      expect(error.message).toContain(entry.sha256);
      expect(error.message).toContain("refusing to load");
      await expect(registry.verifyVersion(v)).rejects.toBeInstanceOf(ArtifactChecksumError);
      // Untouched artifacts of the same version still load.
      expect(await registry.loadArtifact(v, "metrics.json")).toEqual(
        must(input().artifacts[2]).bytes,
      );
      // A tampered manifest is caught too.
      writeFileSync(fileURLToPath(`${v.artifactUri}/manifest.json`), "{}");
      const other = await registry.registerVersion("reg-tamper", input());
      writeFileSync(fileURLToPath(`${other.artifactUri}/manifest.json`), "{}");
      await expect(registry.verifyVersion(other)).rejects.toThrow(/"manifest.json"/);
      await expect(registry.loadArtifact(v, "nope.bin")).rejects.toBeInstanceOf(
        RegistryNotFoundError,
      );
    });

    test("a version's customers are paged through its key, not sorted afresh per page", async () => {
      // Without statistics the planner took the rows for a few thousand and sorted every row past
      // the page's start for each page: ml score of 1,000,000 stored customers ran at 1,050/s.
      const rows = Array.from({ length: 20_000 }, (_, i) => ({
        customerId: `c${i}`,
        summary: { x: i % 7, tx: i / 10, T: 39 },
        features: [i, -1.5],
      }));
      const v = await registry.registerVersion("reg-paging", input({ customerFeatures: rows }));
      const plan = await queryRows<Record<string, string>>(
        t.handle.db,
        sql`explain select customer_id from ${customerFeatures}
              where model_version_id = ${v.id} and customer_id > 'c5000'
              order by customer_id limit 8192`,
      );
      const text = plan.map((row) => Object.values(row).join(" ")).join("\n");
      expect(text).toContain("Index");
      expect(text).not.toContain("Sort");
    });

    test("a smaller next version re-analyzes its version key only, and is still paged by it", async () => {
      // customer_id's histogram (most of an ANALYZE's time) is renewed only when the new rows
      // outnumber the stored ones; the version key every time, which the page plans rest on.
      const ids = (prefix: string, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          customerId: `${prefix}${String(i).padStart(5, "0")}`,
          summary: { x: i % 7 },
          features: [i],
        }));
      // PostgreSQL's autovacuum could analyze the table between the two reads (this database is
      // the test's own): only the registrations analyze it here.
      await t.handle.db.execute(
        sql`alter table ${customerFeatures} set (autovacuum_enabled = off)`,
      );
      await registry.registerVersion("reg-analyze", input({ customerFeatures: ids("m", 20_000) }));
      const bounds = async () => {
        const [row] = await queryRows<{ bounds: string | null }>(
          t.handle.db,
          sql`select histogram_bounds::text as bounds from pg_stats
                where tablename = 'customer_features' and attname = 'customer_id'`,
        );
        return row?.bounds ?? null;
      };
      const before = await bounds();
      expect(before).not.toBeNull();
      const v = await registry.registerVersion(
        "reg-analyze",
        input({ customerFeatures: ids("z", 1000) }),
      );
      expect(await bounds()).toBe(before);
      const explain = async (query: ReturnType<typeof sql>) =>
        (await queryRows<Record<string, string>>(t.handle.db, sql`explain ${query}`))
          .map((row) => Object.values(row).join(" "))
          .join("\n");
      const page = await explain(
        sql`select customer_id from ${customerFeatures}
              where model_version_id = ${v.id} and customer_id > 'z00100'
              order by customer_id limit 8192`,
      );
      expect(page).toContain("Index");
      expect(page).not.toContain("Sort");
      // The version's size is known: an estimate of its rows near 1,000, not a few or all.
      const all = await explain(
        sql`select customer_id from ${customerFeatures} where model_version_id = ${v.id}`,
      );
      const estimated = Number(/rows=(\d+)/.exec(all)?.[1]);
      expect(estimated).toBeGreaterThan(500);
      expect(estimated).toBeLessThan(2000);
    });

    test("customer features are written with the version and read back by id", async () => {
      async function* rows() {
        for (let i = 0; i < 4500; i++) {
          yield {
            customerId: `c${i}`,
            summary: { x: i % 7, tx: i / 10, T: 39 },
            features: Float64Array.of(i, i / 3, -1.5),
          };
        }
      }
      const v = await registry.registerVersion("reg-features", input({ customerFeatures: rows() }));
      expect(v.customerFeaturesWritten).toBe(4500);
      const found = await registry.getCustomerFeatures(v.id, ["c0", "c4499", "c10", "missing"]);
      expect(found.size).toBe(3);
      expect(found.get("c10")).toEqual({
        summary: { x: 3, tx: 1, T: 39 },
        features: [10, 10 / 3, -1.5],
      });
      expect(found.get("c4499")?.features[1]).toBe(4499 / 3);
      expect(found.has("missing")).toBe(false);
      // An array works as well as an async iterable.
      const w = await registry.registerVersion(
        "reg-features",
        input({
          customerFeatures: [
            {
              customerId: "z",
              summary: {},
              features: [Number.NaN, Number.POSITIVE_INFINITY, -0.5],
            },
          ],
        }),
      );
      const z = await registry.getCustomerFeatures(w.id, ["z", "c0"]);
      expect(z.size).toBe(1);
      expect(z.get("z")?.features).toEqual([Number.NaN, Number.POSITIVE_INFINITY, -0.5]);
    });

    test("bad registration input names the field and writes nothing", async () => {
      const cases: [Partial<RegisterVersionInput>, string][] = [
        [{ artifacts: [] }, "artifacts"],
        [{ metrics: { mae: Number.NaN } }, "metrics.mae"],
        [{ dataWindow: { calibrationEnd: "30/09/1997" } }, "dataWindow.calibrationEnd"],
        [{ artifacts: [{ name: "../x", bytes: new Uint8Array(1) }] }, "artifacts[0].name"],
        [{ artifacts: [{ name: "manifest.json", bytes: new Uint8Array(1) }] }, "artifacts[0].name"],
        [{ trainedAt: "yesterday" }, "trainedAt"],
      ];
      for (const [overrides, field] of cases) {
        const error = await registry.registerVersion("reg-bad", input(overrides)).catch((e) => e);
        expect(error).toBeInstanceOf(RegistryInputError);
        expect(error.field).toBe(field);
      }
      await expect(registry.registerVersion("bad name!", input())).rejects.toThrow(/^name:/);
      expect(await registry.listVersions("reg-bad")).toEqual([]);
    });

    test("a customer id PostgreSQL cannot store (NUL, a lone surrogate) is named; nothing is written", async () => {
      const customer = (id: string) => ({ customerId: id, summary: {}, features: [1] });
      for (const [id, problem] of [
        ["a\u0000b", "contains a NUL character (\\u0000) at index 1"],
        ["x\ud800", "contains an unpaired surrogate (\\ud800) at index 1"],
      ]) {
        const error = await registry
          .registerVersion(
            "reg-unstorable",
            input({ customerFeatures: [customer("ok"), customer(id as string)] }),
          )
          .catch((e) => e);
        expect(error).toBeInstanceOf(RegistryInputError);
        expect(error.field).toBe("customerFeatures[1].customerId");
        expect(error.message).toContain(problem as string);
        expect(error.message.length).toBeLessThan(300); // not the batch's every row
      }
      expect(await registry.listVersions("reg-unstorable")).toEqual([]);
    });

    test("promote archives the previous production version; rollback restores it", async () => {
      for (let i = 0; i < 3; i++) await registry.registerVersion("reg-life", input());
      const first = await registry.promote("reg-life", 1);
      expect(first.promoted.stage).toBe("production");
      expect(first.archived).toBeNull();
      const second = await registry.promote("reg-life", 2);
      expect(second.archived?.version).toBe(1);
      await registry.promote("reg-life", 3);
      const stages = async () =>
        Object.fromEntries(
          (await registry.listVersions("reg-life")).map((v) => [v.version, v.stage]),
        );
      expect(await stages()).toEqual({ 1: "archived", 2: "archived", 3: "production" });
      // Promoting the production version again changes nothing.
      expect((await registry.promote("reg-life", 3)).archived).toBeNull();

      const back = await registry.rollback("reg-life");
      expect([back.promoted.version, back.archived?.version]).toEqual([2, 3]);
      expect((await registry.getProductionVersion("reg-life"))?.version).toBe(2);
      await registry.rollback("reg-life");
      expect(await stages()).toEqual({ 1: "production", 2: "archived", 3: "archived" });
      await expect(registry.rollback("reg-life")).rejects.toBeInstanceOf(RegistryStateError);

      await expect(registry.promote("reg-life", 9)).rejects.toBeInstanceOf(RegistryNotFoundError);
      await expect(registry.promote("no-such-model", 1)).rejects.toBeInstanceOf(
        RegistryNotFoundError,
      );
      await expect(registry.promote("reg-life", 0)).rejects.toBeInstanceOf(RegistryInputError);
      expect(await registry.getProductionVersion("no-such-model")).toBeNull();
    });

    // On PGlite the database runs in this process (its clock is the one set here): PostgreSQL only.
    test.if(driver === "postgres")(
      "promotions are ordered by the database's clock: a promoter whose clock is behind does not reorder history",
      async () => {
        for (let i = 0; i < 3; i++) await registry.registerVersion("reg-skew", input());
        await registry.promote("reg-skew", 1);
        await registry.promote("reg-skew", 2);
        // v3 promoted from a process whose clock is an hour behind.
        setSystemTime(new Date(Date.now() - 3_600_000));
        try {
          await registry.promote("reg-skew", 3);
        } finally {
          setSystemTime();
        }
        const back = await registry.rollback("reg-skew");
        expect([back.promoted.version, back.archived?.version]).toEqual([2, 3]);
      },
    );

    test("register with promote makes the new version production in the same step", async () => {
      await registry.registerVersion("reg-auto", input({ promote: true }));
      const v2 = await registry.registerVersion("reg-auto", input({ promote: true }));
      expect(v2.stage).toBe("production");
      expect(v2.promotedAt).toBeInstanceOf(Date);
      expect((await registry.getVersion("reg-auto", 1))?.stage).toBe("archived");
      expect((await registry.rollback("reg-auto")).promoted.version).toBe(1);
    });

    for (const point of ["afterArtifacts", "beforeCommit"] as RegistrationFaultPoint[]) {
      test(`a crash at ${point} leaves no version, rows or files; the next registration works`, async () => {
        const name = `reg-crash-${point}`;
        await registry.registerVersion(name, input({ promote: true }));
        const crashing = new ModelRegistry(t.handle.db, registry.store, {
          faultHook: (p) => {
            if (p === point) throw new Error(`injected crash at ${p}`);
          },
        });
        const rows = [{ customerId: "a", summary: {}, features: [1, 2] }];
        await expect(
          crashing.registerVersion(name, input({ promote: true, customerFeatures: rows })),
        ).rejects.toThrow(`injected crash at ${point}`);
        const versions = await registry.listVersions(name);
        expect(versions.map((v) => [v.version, v.stage])).toEqual([[1, "production"]]);
        const featureRows = await t.handle.db
          .select()
          .from(customerFeatures)
          .innerJoin(modelVersions, eq(modelVersions.id, customerFeatures.modelVersionId));
        expect(
          featureRows.filter((r) => r.model_versions.modelId === must(versions[0]).modelId),
        ).toEqual([]);
        // Only the committed version's files remain under the model's prefix.
        const keys = await registry.store.list(`models/${name}/`);
        const committedPrefix = registry.store.keyFor(must(versions[0]).artifactUri);
        expect(keys.every((k) => k.startsWith(`${committedPrefix}/`))).toBe(true);
        const next = await registry.registerVersion(name, input({ customerFeatures: rows }));
        expect(next.version).toBe(2);
        expect(next.customerFeaturesWritten).toBe(1);
      });
    }

    // `ml gc --delete --min-age 0` during a registration took its prefix for an orphan: the
    // version was promoted without its files, and no service could load it.
    test("a registration whose files went before its commit registers nothing, and says why", async () => {
      const name = "reg-files-gone";
      await registry.registerVersion(name, input({ promote: true }));
      const first = must((await registry.listVersions(name))[0]);
      const kept = `${registry.store.keyFor(first.artifactUri)}/`;
      const deleting = new ModelRegistry(t.handle.db, registry.store, {
        faultHook: async (point) => {
          if (point !== "afterArtifacts") return;
          const keys = await registry.store.list(`models/${name}/`);
          await registry.store.delete(must(keys.find((k) => !k.startsWith(kept))));
        },
      });
      await expect(deleting.registerVersion(name, input({ promote: true }))).rejects.toThrow(
        "1 of this registration's 5 files were deleted from",
      );
      const versions = await registry.listVersions(name);
      expect(versions.map((v) => [v.version, v.stage])).toEqual([[1, "production"]]);
    });

    test("ten concurrent promotions leave exactly one production version", async () => {
      const name = "reg-race-promote";
      for (let i = 0; i < 10; i++) await registry.registerVersion(name, input());
      // A second handle too, so that on PostgreSQL the race spans connections pools.
      const other = await openSecondHandle(t);
      try {
        const otherRegistry = new ModelRegistry(other.db, registry.store);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? otherRegistry : registry).promote(name, i + 1),
          ),
        );
        expect(results.every((r) => r.status === "fulfilled")).toBe(true);
        const versions = await registry.listVersions(name);
        const production = versions.filter((v) => v.stage === "production");
        expect(production).toHaveLength(1);
        expect(versions.filter((v) => v.stage === "archived")).toHaveLength(9);
        // The winner is the promotion that committed last.
        const latest = versions.reduce((a, b) => (must(a.promotedAt) > must(b.promotedAt) ? a : b));
        expect(must(production[0]).version).toBe(latest.version);
      } finally {
        await other.close();
      }
    });

    test("concurrent registrations of one model get distinct, gap-free versions", async () => {
      const name = "reg-race-register";
      const other = await openSecondHandle(t);
      try {
        const otherRegistry = new ModelRegistry(other.db, registry.store);
        const registered = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? otherRegistry : registry).registerVersion(
              name,
              input({ promote: i % 3 === 0 }),
            ),
          ),
        );
        expect(registered.map((v) => v.version).sort((a, b) => a - b)).toEqual([
          1, 2, 3, 4, 5, 6, 7, 8,
        ]);
        const versions = await registry.listVersions(name);
        expect(versions.filter((v) => v.stage === "production")).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    test("the CLI commands promote, roll back and print a table of versions", async () => {
      await registry.registerVersion("cli-model", input());
      await registry.registerVersion("cli-model", input({ metrics: { mae: 0.4321, wape: 0.2 } }));
      const lines: string[] = [];
      const print = (line: string) => lines.push(line);
      await promoteCommand(registry, "cli-model", "1", print);
      await promoteCommand(registry, "cli-model", "v2", print);
      await rollbackCommand(registry, "cli-model", print);
      await listModelsCommand(registry, "cli-model", print);
      expect(lines.slice(0, 3)).toEqual([
        "cli-model v1 is production",
        "cli-model v2 is production; v1 archived",
        "cli-model rolled back: v1 is production; v2 archived",
      ]);
      const table = must(lines[3]).split("\n");
      expect(table[0]).toMatch(
        /^MODEL\s+VERSION\s+STAGE\s+CALIBRATION END\s+TRAINED\s+PROMOTED\s+METRICS$/,
      );
      expect(table[1]).toMatch(
        /^cli-model\s+2\s+archived\s+1997-09-30\s+2026-11-28 12:00\s+\S+ \S+\s+mae=0\.4321 wape=0\.2000$/,
      );
      expect(table[2]).toMatch(
        /^cli-model\s+1\s+production\s+.*mae=0\.6100 rmse=1\.200 customers=2357$/,
      );
      await expect(promoteCommand(registry, "cli-model", "x", print)).rejects.toThrow(/^version:/);
      // A name with no versions is named, with the models there are (it printed an empty list).
      await expect(listModelsCommand(registry, "cli-modle", print)).rejects.toThrow(
        /^no model named "cli-modle" \(models: .*cli-model/,
      );
    });

    test("readProductionVersion answers as the query written out, across promotions and unknown names", async () => {
      const db = t.handle.db;
      expect(await readProductionVersion(db, "pv-a")).toBeNull();
      await registry.registerVersion("pv-a", input({ promote: true }));
      await registry.registerVersion("pv-b", input());
      const first = await readProductionVersion(db, "pv-a");
      expect(first?.version).toBe(1);
      expect(first).toEqual(await productionVersionWrittenOut(db, "pv-a"));
      expect(await readProductionVersion(db, "pv-b")).toBeNull();
      await registry.registerVersion("pv-a", input({ promote: true }));
      const second = await readProductionVersion(db, "pv-a");
      expect(second?.version).toBe(2);
      expect(second).toEqual(await productionVersionWrittenOut(db, "pv-a"));
      expect(await registry.getProductionVersion("pv-a")).toEqual(second);
    });

    test("readProductionVersion is a statement the connection prepared, not parsed and planned each call", async () => {
      // One connection, so the statement and the look at pg_prepared_statements share a session.
      const one = await createDatabase({ ...t.options, maxConnections: 1 });
      try {
        await registry.registerVersion("pv-c", input({ promote: true }));
        for (let i = 0; i < 3; i++)
          expect((await readProductionVersion(one.db, "pv-c"))?.version).toBe(1);
        const prepared = await queryRows<{ statement: string }>(
          one.db,
          sql`select statement from pg_prepared_statements
                where statement like '%"model_versions"."stage" = %'`,
        );
        // At least this connection's (the embedded store's one session also lists the pool's).
        expect(prepared.length).toBeGreaterThanOrEqual(1);
      } finally {
        await one.close();
      }
    });
  });
}

/**
 * The production-version query as written before it was prepared: what readProductionVersion
 * must answer.
 */
async function productionVersionWrittenOut(db: Database, name: string) {
  const [row] = await db
    .select({ version: modelVersions, modelName: models.name })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(models.name, name), eq(modelVersions.stage, "production")));
  return row ? { ...row.version, modelName: row.modelName } : null;
}

/** A second, independent handle on the same database (PGlite: the same instance's database). */
async function openSecondHandle(t: TestDatabase) {
  if (t.options.databaseUrl) return createDatabase({ databaseUrl: t.options.databaseUrl });
  // PGlite allows one open instance per directory: reuse the handle, without closing it.
  return { db: t.handle.db, close: async () => {} };
}
