// The service over a real PGlite registry holding a demo model: /forecast (happy paths, per-item
// errors, validation), /model-info, /openapi.json, /docs, /metrics, readiness, and the model
// lifecycle (hot swap under load, a tampered artifact refused while the old model keeps serving).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUNDLE_FILES } from "@pp/ml/bundle/model-bundle.ts";
import { readAllCustomerFeatures } from "@pp/shared/registry/customer-features.ts";
import { parseExposition, sampleValue } from "@pp/shared/testing/exposition-parser.ts";
import type { Hono } from "hono";
import type { ForecastDeps } from "../deps.ts";
import { type DemoRegistry, openDemoRegistry } from "../testing/demo-registry.ts";
import { appOnDemoRegistry } from "../testing/demo-registry-app.ts";
import { HORIZON_GROUPS, horizonGroup } from "./forecast-metrics.ts";

let demo: DemoRegistry;
let deps: ForecastDeps;
let app: Hono<never>;
let knownIds: string[];
const logLines: string[] = [];

const build = (env: Record<string, string> = {}) => appOnDemoRegistry(demo, { env, logLines });

beforeAll(async () => {
  demo = await openDemoRegistry();
  ({ deps, app } = build());
  const version = await demo.registry.getProductionVersion(demo.modelName);
  knownIds = (await readAllCustomerFeatures(demo.handle.db, version?.id ?? 0)).map(
    (r) => r.customerId,
  );
}, 180_000);

afterAll(async () => {
  await demo?.close();
});

const post = (target: Hono<never>, body: unknown) =>
  target.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

interface ForecastBody {
  model: { name: string; version: number; ids_lower_cased: boolean };
  forecasts: Array<Record<string, unknown> & { id: string }>;
}

describe("readiness and loading", () => {
  test("/ready and /forecast answer 503 until the model is loaded, then 200", async () => {
    expect((await app.request("/ready")).status).toBe(503);
    const early = await post(app, {
      horizon: { value: 1, unit: "week" },
      customers: [{ id: "x" }],
    });
    expect(early.status).toBe(503);
    expect(await deps.model.refresh()).toBe("loaded");
    expect((await app.request("/ready")).status).toBe(200);
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === "model loaded");
    expect(line).toMatchObject({ model: "purchase", version: 1, engine: "onnxruntime-web" });
  });
});

describe("POST /forecast", () => {
  // One series of predicted purchases for all horizons made a change in the callers' mix of
  // horizons (0.075 at 4 weeks, 0.839 at 52 for the same customers) read as drift of the model.
  test("predicted purchases are observed per horizon group", async () => {
    expect(HORIZON_GROUPS[horizonGroup(13)]?.label).toBe("le_13w");
    expect(HORIZON_GROUPS[horizonGroup(13.5)]?.label).toBe("le_26w");
    expect(HORIZON_GROUPS[horizonGroup(400)]?.label).toBe("gt_52w");
    const count = async (horizon: string) => {
      const text = await (await app.request("/metrics")).text();
      const prefix = `forecast_predicted_purchases_count{model="bgnbd",horizon="${horizon}"}`;
      return Number(
        text
          .split("\n")
          .find((l) => l.startsWith(prefix))
          ?.split(" ")
          .pop() ?? 0,
      );
    };
    const before = [await count("le_4w"), await count("le_52w")];
    for (const [value, unit] of [
      [28, "day"],
      [52, "week"],
      [52, "week"],
    ] as const) {
      const res = await post(app, { horizon: { value, unit }, customers: [{ id: knownIds[0] }] });
      expect(res.status).toBe(200);
    }
    expect([
      (await count("le_4w")) - (before[0] ?? 0),
      (await count("le_52w")) - (before[1] ?? 0),
    ]).toEqual([1, 2]);
  });

  // Answered inside a 200, item errors were in no metric: a promoted version whose ids changed
  // made every lookup an unknown customer while the error panels stayed at 0.
  test("customers answered with an item error are counted by code in /metrics", async () => {
    const count = async () => {
      const text = await (await app.request("/metrics")).text();
      const line = text
        .split("\n")
        .find((l) => l.startsWith('forecast_item_errors_total{code="unknown_customer"}'));
      return Number(line?.split(" ").pop());
    };
    const before = await count();
    expect(before).toBeGreaterThanOrEqual(0); // present from the start
    const res = await post(app, {
      horizon: { value: 13, unit: "week" },
      customers: [{ id: "nobody-1" }, { id: knownIds[0] }, { id: "nobody-2" }, { id: "nobody-3" }],
    });
    expect(res.status).toBe(200);
    expect((await count()) - before).toBe(3);
  });

  test("customers by id, summary and transactions; an unknown id fails alone", async () => {
    const res = await post(app, {
      horizon: { value: 39, unit: "week" },
      discount_rate: 0.1,
      customers: [
        { id: "c-17", summary: { frequency: 2, recency: 30.43, T: 38.86, monetary: 22.35 } },
        { id: "c-18" },
        { id: knownIds[0] },
        {
          id: "c-19",
          transactions: [
            { at: "1997-03-01", amount: 12.5 },
            { at: "1997-05-01", amount: 20 },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("server-timing")).toMatch(/^forecast;dur=\d+\.\d+$/);
    const body = (await res.json()) as ForecastBody & Record<string, unknown>;
    expect(body.model).toEqual({ name: "purchase", version: 1, ids_lower_cased: false });
    expect(body.horizon).toEqual({ value: 39, unit: "week" });
    expect(typeof body.generated_at).toBe("string");
    const [bySummary, unknown, byId, byTx] = body.forecasts;
    expect(unknown).toEqual({
      id: "c-18",
      error: { code: "unknown_customer", message: expect.stringContaining("c-18") },
    });
    const fields = ["expected_purchases", "p_alive", "p_purchase", "expected_spend", "clv"];
    for (const item of [bySummary, byId, byTx]) {
      const models = item?.models as Record<string, Record<string, number>>;
      for (const name of ["bgnbd", "pareto_nbd"]) {
        expect(Object.keys(models[name] ?? {})).toEqual(fields);
        const m = models[name] as Record<string, number>;
        expect(m.p_alive).toBeGreaterThanOrEqual(0);
        expect(m.p_alive).toBeLessThanOrEqual(1);
        expect(m.clv).toBeLessThanOrEqual((m.expected_spend as number) + 1e-9);
      }
      expect(["gbdt", "bgnbd", "pareto_nbd"]).toContain(item?.recommended as string);
    }
    expect(
      ((bySummary as Record<string, unknown>).models as Record<string, unknown>).gbdt,
    ).toBeUndefined();
    expect(
      ((byId as Record<string, unknown>).models as Record<string, unknown>).gbdt,
    ).toMatchObject({ horizon_scaled: false });
    expect(
      ((byTx as Record<string, unknown>).models as Record<string, unknown>).gbdt,
    ).toBeDefined();
    expect(byTx).toMatchObject({
      basis: "transactions",
      as_of: "1997-09-30",
      summary: { frequency: 1 },
    });
  });

  test("days and weeks give the same answer for the same horizon", async () => {
    const customers = [
      { id: knownIds[1] },
      { id: "s", summary: { frequency: 3, recency: 20, T: 30, monetary: 40 } },
    ];
    const weeks = (await (
      await post(app, { horizon: { value: 10, unit: "week" }, customers })
    ).json()) as ForecastBody;
    const days = (await (
      await post(app, { horizon: { value: 70, unit: "day" }, customers })
    ).json()) as ForecastBody;
    expect(days.forecasts).toEqual(weeks.forecasts);
  });

  test("invalid fields are a 400 naming each one", async () => {
    const res = await post(app, {
      horizon: { value: -1, unit: "month" },
      discount_rate: "high",
      customers: [
        { id: "a", summary: { frequency: 1.5, recency: 40, T: 30 } },
        {
          id: "b",
          summary: { frequency: 1, recency: 1, T: 2 },
          transactions: [{ at: "2026-01-01", amount: 1 }],
        },
        { id: "c", transactions: [{ at: "2026-02-30", amount: -3 }] },
        { id: "", extra: true },
      ],
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as {
      error: { code: string; details: Array<{ path: string }> };
    };
    expect(error.code).toBe("validation_error");
    const paths = error.details.map((d) => d.path);
    for (const path of [
      "horizon.value",
      "horizon.unit",
      "discount_rate",
      "customers.0.summary.frequency",
      "customers.1.transactions",
      "customers.2.transactions.0.at",
      "customers.2.transactions.0.amount",
      "customers.3.id",
    ]) {
      expect(paths).toContain(path);
    }
  });

  test("transactions[].at takes dates and timestamps with or without a zone, counted on their date", async () => {
    const history = (first: string, second: string) => ({
      horizon: { value: 39, unit: "week" },
      as_of: "1997-09-30",
      customers: [
        {
          id: "t",
          transactions: [
            { at: first, amount: 12.5 },
            { at: second, amount: 20 },
          ],
        },
      ],
    });
    const plain = (await (
      await post(app, history("1997-03-01", "1997-05-01"))
    ).json()) as ForecastBody;
    for (const [a, b] of [
      ["1997-03-01 10:15", "1997-05-01T23:59:59Z"],
      ["1997-03-01T10:15:00+02:00", "1997-05-01T00:00:00.123-0500"],
    ] as const) {
      const res = await post(app, history(a, b));
      expect(res.status).toBe(200);
      const body = (await res.json()) as ForecastBody;
      expect(body.forecasts[0]?.models).toEqual(plain.forecasts[0]?.models as never);
      expect(body.forecasts[0]?.summary).toEqual(plain.forecasts[0]?.summary as never);
    }
    for (const bad of [
      "1997-03-01 25:00",
      "1997-02-30T10:00Z",
      "1997-03-01T10:00+1",
      "03/01/1997",
      "2091-03-01", // a typo for 1991 or 2019: a purchase cannot be in the future
      "1970-01-01", // Unix time 0: a placeholder for a missing date
      "1899-12-30T00:00", // a spreadsheet's day 0
    ]) {
      const res = await post(app, history(bad, "1997-05-01"));
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { details: Array<{ path: string }> } };
      expect(error.details.map((d) => d.path)).toContain("customers.0.transactions.0.at");
    }
    // Today and the day after (another time zone's today) are purchases like any other.
    const day = (offset: number) =>
      new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const recent = { ...history("1997-03-01", day(1)), as_of: day(1) };
    expect((await post(app, recent)).status).toBe(200);
    expect((await post(app, { ...recent, as_of: day(2) })).status).toBe(200);
    const ahead = await post(app, { ...history("1997-03-01", day(2)), as_of: day(2) });
    expect(ahead.status).toBe(400);
  });

  test("recency above T, too many customers, malformed JSON, wrong type: 4xx, never 500", async () => {
    const recency = await post(app, {
      horizon: { value: 1, unit: "week" },
      customers: [{ id: "a", summary: { frequency: 1, recency: 40, T: 30 } }],
    });
    expect(recency.status).toBe(400);
    expect(JSON.stringify(await recency.json())).toContain("customers.0.summary.recency");
    const many = await post(app, {
      horizon: { value: 1, unit: "week" },
      customers: Array.from({ length: 10_001 }, (_, i) => ({ id: `c${i}` })),
    });
    expect(many.status).toBe(400);
    expect(JSON.stringify(await many.json())).toContain("at most 10000 customers");
    expect((await post(app, '{"horizon": ')).status).toBe(400);
    const form = await app.request("/forecast", {
      method: "POST",
      body: "a=1",
      headers: { "Content-Type": "text/plain" },
    });
    expect(form.status).toBe(415);
  });

  test("a summary no purchase history can give (more repeat days than days) fails alone", async () => {
    // The demo model counts in weeks: 30 repeat purchases, once a day, span at least 29 days.
    const res = await post(app, {
      horizon: { value: 4, unit: "week" },
      customers: [
        { id: "days-as-weeks", summary: { frequency: 30, recency: 4, T: 6 } },
        { id: "just-possible", summary: { frequency: 29, recency: 4, T: 6 } },
        { id: "one-day", summary: { frequency: 1, recency: 0, T: 6 } },
        { id: "two-same-day", summary: { frequency: 2, recency: 0, T: 6 } },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      forecasts: Array<{ id: string; error?: { code: string; message: string } }>;
    };
    const errors = body.forecasts.map((f) => [f.id, f.error?.code ?? null]);
    expect(errors).toEqual([
      ["days-as-weeks", "invalid_customer"],
      ["just-possible", null],
      ["one-day", null],
      ["two-same-day", "invalid_customer"],
    ]);
    expect(body.forecasts[0]?.error?.message).toBe(
      'customer "days-as-weeks": frequency 30 repeat purchases need recency >= 4.1429 weeks ' +
        "(purchases count once a day), got 4: is the summary in the model's time unit (week, see " +
        "/model-info) and counted per day?",
    );
  });

  test("a body over MAX_BODY_BYTES is a 413 JSON error", async () => {
    const small = build({ MAX_BODY_BYTES: "2048" });
    const res = await post(small.app, {
      horizon: { value: 1, unit: "week" },
      customers: [{ id: "x".repeat(3000) }],
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "payload_too_large",
    );
  });
});

describe("documentation and metrics", () => {
  test("GET /model-info describes the model and the engine", async () => {
    const info = (await (await app.request("/model-info")).json()) as Record<string, unknown>;
    const version = await demo.registry.getProductionVersion(demo.modelName);
    expect(info).toMatchObject({
      name: "purchase",
      version: 1,
      stage: "production",
      time_unit: "week",
      ids_lower_cased: false,
      artifact_sha256: version?.artifactSha256,
      data_window: { calibration_end: "1997-09-30", holdout_end: "1998-06-30" },
      inference: { engine: "onnxruntime-web", backend: "wasm (1 thread) + TypeScript tree walk" },
    });
    expect((info.inference as Record<string, string>).onnxruntime_web_version).toMatch(
      /^1\.\d+\.\d+/,
    );
    expect((info.feature_layout as { names: string[] }).names).toContain("bgnbd_expected");
    expect(Object.keys(info.holdout_metrics as object).length).toBeGreaterThan(3);
    // As served (bgnbdPurchaseExponent): it said 1 - (1 - p)^ratio, 0.128 where 0.160 is served.
    expect((info.gbdt as { other_horizons: string }).other_horizons).toContain(
      "p_purchase becomes 1 - (1 - p)^k, k the exponent that carries the customer's BG/NBD P(purchase)",
    );
  });

  test("GET /openapi.json is OpenAPI 3.1 with the request schema; /docs is HTML", async () => {
    interface Doc {
      openapi: string;
      paths: Record<string, { post?: { requestBody?: unknown } }>;
      components: {
        schemas: Record<
          string,
          { required: string[]; properties: { customers: { maxItems: number } } }
        >;
      };
    }
    const doc = (await (await app.request("/openapi.json")).json()) as Doc;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/forecast"]?.post?.requestBody).toBeDefined();
    const request = doc.components.schemas.ForecastRequest as Doc["components"]["schemas"][string];
    expect(request.required).toEqual(["horizon", "customers"]);
    expect(request.properties.customers.maxItems).toBe(10_000);
    const docs = await app.request("/docs");
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(await docs.text()).toContain("curl -s localhost:8001/forecast");
  });

  test("GET /metrics has inference latency, batch sizes, version info, predictions and failures", async () => {
    const text = await (await app.request("/metrics")).text();
    const m = parseExposition(text);
    expect(m.types.get("forecast_inference_duration_seconds")).toBe("histogram");
    expect(
      sampleValue(m, "forecast_inference_duration_seconds_count", { stage: "total" }),
    ).toBeGreaterThan(0);
    expect(sampleValue(m, "forecast_batch_size_count", {})).toBeGreaterThan(0);
    expect(
      sampleValue(m, "forecast_predicted_purchases_count", { model: "gbdt", horizon: "le_52w" }),
    ).toBeGreaterThan(0);
    expect(sampleValue(m, "model_version_info", { name: "purchase", version: "1" })).toBe(1);
    expect(sampleValue(m, "model_load_failures_total", { reason: "checksum" })).toBe(0);
  });
});

describe("model lifecycle", () => {
  /** Registers a copy of the production version's artifacts and customers as a new version. */
  async function registerCopy(promote: boolean) {
    const current = await demo.registry.getProductionVersion(demo.modelName);
    if (!current) throw new Error("no production version");
    const artifacts = [];
    for (const a of current.artifacts) {
      artifacts.push({ name: a.name, bytes: await demo.registry.loadArtifact(current, a.name) });
    }
    const rows = await readAllCustomerFeatures(demo.handle.db, current.id);
    return demo.registry.registerVersion(demo.modelName, {
      artifacts,
      params: current.params,
      metrics: current.metrics,
      dataWindow: current.dataWindow,
      timeUnit: current.timeUnit,
      trainedAt: new Date(),
      customerFeatures: rows.map((r) => ({
        customerId: r.customerId,
        summary: r.summary,
        features: r.features,
      })),
      promote,
    });
  }

  test("a promoted version is swapped in while requests run: none fails, answers switch", async () => {
    const v2 = await registerCopy(false);
    const body = {
      horizon: { value: 26, unit: "week" },
      customers: knownIds.slice(0, 200).map((id) => ({ id })),
    };
    const versions: number[] = [];
    let failures = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        // In-process requests resolve in microtasks: yield so that timers and the swap can run.
        await Bun.sleep(1);
        const res = await post(app, body);
        if (res.status !== 200) failures++;
        else versions.push(((await res.json()) as ForecastBody).model.version);
      }
    })();
    await Bun.sleep(50);
    await demo.registry.promote(demo.modelName, v2.version);
    expect(await deps.model.refresh()).toBe("loaded");
    const after = versions.length;
    for (let i = 0; i < 500 && versions.length < after + 5; i++) await Bun.sleep(10);
    stop = true;
    await load;
    expect(failures).toBe(0);
    expect(versions[0]).toBe(1);
    expect(versions.at(-1)).toBe(v2.version);
    // Never back to the old version once the new one answered.
    expect(versions.slice(versions.indexOf(v2.version)).every((v) => v === v2.version)).toBe(true);
    expect(await deps.model.refresh()).toBe("unchanged");
  }, 60_000);

  test("a tampered artifact is refused, counted, and the old model keeps serving", async () => {
    const serving = deps.model.current?.identity.version;
    const v3 = await registerCopy(true);
    const onnx = v3.artifacts.find((a) => a.name === BUNDLE_FILES.gbdtCount);
    if (!onnx) throw new Error("no count model");
    writeFileSync(fileURLToPath(onnx.uri), new Uint8Array([8, 7, 1, 2, 3]));
    expect(await deps.model.refresh()).toBe("failed");
    expect(deps.model.current?.identity.version).toBe(serving as number);
    const res = await post(app, {
      horizon: { value: 4, unit: "week" },
      customers: [{ id: knownIds[0] }],
    });
    expect(((await res.json()) as ForecastBody).model.version).toBe(serving as number);
    const m = parseExposition(await (await app.request("/metrics")).text());
    expect(sampleValue(m, "model_load_failures_total", { reason: "checksum" })).toBe(1);
    expect(
      sampleValue(m, "model_version_info", { name: "purchase", version: String(serving) }),
    ).toBe(1);
    const refused = logLines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg.startsWith("model load refused"));
    expect(refused?.error).toContain("checksum mismatch");
    expect((await app.request("/ready")).status).toBe(200);
    // The same failure at the next poll is counted, not logged again (it wrote a line a poll).
    expect(await deps.model.refresh()).toBe("failed");
    const again = parseExposition(await (await app.request("/metrics")).text());
    expect(sampleValue(again, "model_load_failures_total", { reason: "checksum" })).toBe(2);
    const lines = logLines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg.startsWith("model load refused"));
    expect(lines).toHaveLength(1);
  }, 60_000);
});

describe("gzip answers (Accept-Encoding)", () => {
  const ask = (customers: Array<{ id: string }>, acceptEncoding?: string) =>
    app.request("/forecast", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(acceptEncoding ? { "Accept-Encoding": acceptEncoding } : {}),
      },
      body: JSON.stringify({ horizon: { value: 39, unit: "week" }, customers }),
    });
  const blank = (text: string) => text.replace(/"generated_at":"[^"]*"/, '"generated_at":""');

  test("many customers: gzip when accepted, the same bytes once decompressed", async () => {
    const customers = knownIds.slice(0, 200).map((id) => ({ id }));
    const plain = await ask(customers);
    expect(plain.headers.get("content-encoding")).toBeNull();
    const plainText = await plain.text();
    const zipped = await ask(customers, "gzip, deflate, br");
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(zipped.headers.get("vary")).toBe("Accept-Encoding");
    expect(zipped.headers.get("server-timing")).toStartWith("forecast;dur=");
    const bytes = new Uint8Array(await zipped.arrayBuffer());
    expect(bytes.length).toBeLessThan(plainText.length / 3);
    expect(blank(new TextDecoder().decode(Bun.gunzipSync(bytes)))).toBe(blank(plainText));
  });

  test("one customer (under 1 KiB) and clients not asking: sent as before", async () => {
    const one = await ask([{ id: knownIds[0] ?? "" }], "gzip");
    expect(one.headers.get("content-encoding")).toBeNull();
    expect(((await one.json()) as ForecastBody).forecasts).toHaveLength(1);
    const many = await ask(knownIds.slice(0, 50).map((id) => ({ id })));
    expect(many.headers.get("content-encoding")).toBeNull();
  });
});
