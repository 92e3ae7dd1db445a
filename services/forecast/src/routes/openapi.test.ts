// The forecast service's OpenAPI document, generated from the zod schemas beside its routes: valid
// OpenAPI 3.1, every registered route documented and only those, and the /forecast request and
// response schemas the route's own (the documented example passes them, a broken body does not).
import { describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import {
  documentedOperations,
  newAjv,
  openApi31Validator,
  operationIdProblems,
  registeredOperations,
} from "@pp/shared/testing/openapi-checks.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";
import { forecastRequestSchema } from "./forecast-schemas.ts";
import { exampleRequest } from "./openapi.ts";

const quiet = createLogger({ sink: () => {} });
const app = createApp(
  buildForecastDeps(parseConfig({}), { runtime: "test", overrides: { logger: quiet } }),
);

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, object> };
}

const fetchDocument = async () => {
  const res = await app.request("/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
};

describe("forecast OpenAPI", () => {
  test("GET /openapi.json validates against the OpenAPI 3.1 schema", async () => {
    const doc = await fetchDocument();
    const validate = openApi31Validator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    const broken = structuredClone(doc);
    const post = broken.paths["/forecast"]?.post;
    if (!post) throw new Error("POST /forecast is not documented");
    post.responses["200"] = { content: {} };
    expect(validate(broken)).toBe(false);
  });

  test("every route the app registers is documented, and only those", async () => {
    const registered = registeredOperations(app);
    expect(registered).toContain("post /forecast");
    expect(documentedOperations(await fetchDocument())).toEqual(registered);
  });

  test("the request schema is the route's own; the response schema is documented", async () => {
    const doc = await fetchDocument();
    const request = newAjv().compile(doc.components.schemas.ForecastRequest as object);
    expect(forecastRequestSchema.safeParse(exampleRequest).success).toBe(true);
    expect(request(exampleRequest), JSON.stringify(request.errors)).toBe(true);
    expect(request({ ...exampleRequest, horizon: { value: 39, unit: "fortnight" } })).toBe(false);
    expect(request({ horizon: exampleRequest.horizon })).toBe(false);
    // Levels must be distinct, in the document as in the route.
    expect(request({ ...exampleRequest, intervals: [0.8, 0.95] })).toBe(true);
    expect(request({ ...exampleRequest, intervals: [0.8, 0.8] })).toBe(false);
    expect(doc.components.schemas.ForecastResponse).toMatchObject({ type: "object" });
  });
});

test("with FORECAST_API_KEYS set the document requires a key on /forecast and /model-info; without, it is optional", async () => {
  // A client generated from the document of a keyed service sent no key (the `{}` alternative
  // said none was needed) and met 401s.
  const keyed = createApp(
    buildForecastDeps(parseConfig({ FORECAST_API_KEYS: "k-0123456789abcdef0123" }), {
      runtime: "test",
      overrides: { logger: quiet },
    }),
  );
  type Security = Array<Record<string, string[]>>;
  const securityOf = async (a: typeof app) => {
    const doc = (await (await a.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: Security }>>;
    };
    return [doc.paths["/forecast"]?.post?.security, doc.paths["/model-info"]?.get?.security];
  };
  for (const security of await securityOf(keyed)) {
    expect(security).toEqual([{ apiKeyHeader: [] }, { bearer: [] }]);
  }
  for (const security of await securityOf(app)) {
    expect(security).toEqual([{ apiKeyHeader: [] }, { bearer: [] }, {}]);
  }
});

// None was set, so a generated client's methods were named from paths, differently per tool.
test("every operation has a unique camelCase operationId", async () => {
  expect(operationIdProblems(await fetchDocument())).toEqual([]);
});
