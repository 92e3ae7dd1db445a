// CustomerFeaturesRepository.get on both drivers: hostile ids and floats come back to the bit, in
// the order and with the values the plain column read (drizzle's float8[] and jsonb) gives.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import type { Database } from "../db/database.ts";
import { customerFeatures } from "../db/schema.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { CustomerFeaturesRepository } from "./customer-features.ts";
import { ModelRegistry } from "./model-registry.ts";

/** A value's exact spelling: numbers by their 64 bits (-0, NaN), objects in key order. */
function exact(value: unknown): string {
  if (typeof value === "number") {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value);
    return `f${view.getBigUint64(0).toString(16)}`;
  }
  if (Array.isArray(value)) return `[${value.map(exact).join(",")}]`;
  if (value instanceof Map) return exact([...value]);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${exact(v)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** Doubles from random bit patterns (fixed seed): every exponent, subnormals, long mantissas. */
function randomDoubles(count: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  let seed = 0x9e3779b9;
  const next = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return seed;
  };
  const out: number[] = [];
  while (out.length < count) {
    view.setUint32(0, next());
    view.setUint32(4, next());
    const value = view.getFloat64(0);
    if (!Number.isNaN(value)) out.push(value);
  }
  return out;
}

const HOSTILE_FLOATS = [
  ...[1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, -5e-324, 2.2250738585072014e-308],
  ...[
    2.225073858507201e-308,
    -0,
    0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ],
  ...[0.1, 1 / 3, 2 ** 53 + 2, -(2 ** 63), 123456789.12345679, 1e21, 1e-7, 9.999999999999999e22],
];

const IDS = [
  "plain",
  "顧客-😀",
  "é",
  "e\u0301",
  'q"uo\\te,{x},NULL',
  " spaced ",
  "tab\tnl\ncr\r\u0001",
  "NULL",
  "null",
  "x".repeat(2000),
  "\u{10ffff}\uffff",
];

function rows() {
  const random = randomDoubles(IDS.length * 40);
  return IDS.map((customerId, i) => ({
    customerId,
    summary: {
      x: i === 0 ? 1e308 : i,
      t_x: 5e-324,
      T: 39.5,
      monetary: 0.1 + i,
      "a longer key": { nested: [1, "s", null, true, -1.5e-300] },
      b: customerId,
    },
    features: [...HOSTILE_FLOATS.slice(i % 5), ...random.slice(i * 40, i * 40 + 40)],
  }));
}

/** The read `get` replaced: drizzle's columns, parsed row by row (the reference it must match). */
async function columnRead(db: Database, versionId: number, ids: string[]) {
  const found = new Map<string, { summary: Record<string, unknown>; features: number[] }>();
  const read = await db
    .select({
      customerId: customerFeatures.customerId,
      summary: customerFeatures.summary,
      features: customerFeatures.features,
    })
    .from(customerFeatures)
    .where(
      and(
        eq(customerFeatures.modelVersionId, versionId),
        sql`${customerFeatures.customerId} in (select jsonb_array_elements_text(${JSON.stringify([...new Set(ids)])}::jsonb))`,
      ),
    );
  for (const row of read)
    found.set(row.customerId, { summary: row.summary, features: row.features });
  return found;
}

for (const driver of testDrivers()) {
  describe(`CustomerFeaturesRepository.get on ${driver}`, () => {
    let t: TestDatabase;
    let storeDir: string;
    let versionId: number;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      storeDir = mkdtempSync(join(tmpdir(), "pp-features-store-"));
      const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(storeDir));
      const version = await registry.registerVersion("features-exact", {
        artifacts: [{ name: "model.bin", bytes: new Uint8Array([1, 2, 3]) }],
        params: {},
        metrics: {},
        dataWindow: { calibrationEnd: "1997-09-30", holdoutEnd: "1998-06-30" },
        timeUnit: "week",
        trainedAt: "2026-11-28T12:00:00Z",
        customerFeatures: rows(),
      });
      versionId = version.id;
      // Rows no registration writes (SQL by hand): no features, and a NULL element.
      await t.handle.db.execute(
        sql`insert into ${customerFeatures} (model_version_id, customer_id, summary, features)
            values (${versionId}, 'empty', '{}', '{}'),
                   (${versionId}, 'with-null', '{"z": 1, "a": [0.1]}', '{1.5,NULL,-0,NaN}')`,
      );
    }, 60_000);
    afterAll(async () => {
      await t?.cleanup();
      rmSync(storeDir, { recursive: true, force: true });
    }, 30_000);

    test("every float comes back to the bit, as written", async () => {
      const found = await new CustomerFeaturesRepository(t.handle.db).get(versionId, IDS);
      expect(found.size).toBe(IDS.length);
      for (const row of rows()) {
        // The registration's JSON batch writes -0 as 0 (the hand-written row keeps a -0).
        const written = row.features.map((v) => (Object.is(v, -0) ? 0 : v));
        expect(exact(found.get(row.customerId)?.features)).toBe(exact(written));
        expect(found.get(row.customerId)?.summary).toEqual(JSON.parse(JSON.stringify(row.summary)));
      }
      expect(found.get("plain")?.summary.x).toBe(1e308);
      expect(found.get("plain")?.summary.t_x).toBe(5e-324);
    });

    test("same rows, values, key order and Map order as the column read", async () => {
      const repository = new CustomerFeaturesRepository(t.handle.db);
      const asked = [...IDS, "missing", "empty", "with-null", "plain", "NULL", "missing"];
      const found = await repository.get(versionId, asked);
      const reference = await columnRead(t.handle.db, versionId, asked);
      expect(reference.size).toBe(IDS.length + 2);
      expect(exact(found)).toBe(exact(reference));
      // A NULL element reads as NaN; -0 keeps its sign.
      expect(exact(found.get("with-null")?.features)).toBe(exact([1.5, NaN, -0, NaN]));
      expect(found.get("empty")).toEqual({ summary: {}, features: [] });
      expect(await repository.get(versionId, ["missing"])).toEqual(new Map());
      expect(await repository.get(versionId, [])).toEqual(new Map());
    });

    test("ids past the first page of 5,000 are read as the column read reads them", async () => {
      const missing = Array.from({ length: 6000 }, (_, i) => `missing-${i}`);
      const asked = [IDS[0] ?? "", ...missing, ...IDS, "with-null"];
      const found = await new CustomerFeaturesRepository(t.handle.db).get(versionId, asked);
      const byId = (map: Map<string, unknown>) =>
        exact([...map].sort(([a], [b]) => (a < b ? -1 : 1)));
      expect(found.size).toBe(IDS.length + 1);
      expect(byId(found)).toBe(byId(await columnRead(t.handle.db, versionId, asked)));
    });
  });
}
