// The decision service's OpenAPI document: valid OpenAPI 3.1 (the published JSON Schema of the
// specification), every registered route documented and nothing else, and request schemas that
// are the ones the routes validate with (a valid example passes, a broken one is refused).
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
import { buildDecisionDeps } from "../deps.ts";
import { exampleDecision } from "./openapi.ts";

const quiet = createLogger({ sink: () => {} });
const app = createApp(
  buildDecisionDeps(parseConfig({}), { runtime: "test", overrides: { logger: quiet } }),
);

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: { "application/json": { schema: { $ref: string } } } };
  responses: Record<string, unknown>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

const fetchDocument = async () => {
  const res = await app.request("/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
};

const ajv = newAjv;

describe("decision OpenAPI", () => {
  test("GET /openapi.json validates against the OpenAPI 3.1 schema", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    const validate = openApi31Validator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    // The check can fail: a response without its (required) description is refused.
    const broken = structuredClone(doc);
    const post = broken.paths["/decision"]?.post;
    if (!post) throw new Error("POST /decision is not documented");
    post.responses["200"] = { content: {} };
    expect(validate(broken)).toBe(false);
  });

  test("every route the app registers is documented, and only those", async () => {
    const doc = await fetchDocument();
    const registered = registeredOperations(app);
    expect(registered.length).toBeGreaterThan(15);
    expect(documentedOperations(doc)).toEqual(registered);
    // Path templates and path parameters agree.
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? "");
      for (const op of Object.values(ops)) {
        const inPath = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
        expect({ path, params: inPath.sort() }).toEqual({ path, params: [...names].sort() });
      }
    }
  });

  test("POST /decision documents its Idempotency-Key header with the shape it checks", async () => {
    const doc = await fetchDocument();
    const parameters = doc.paths["/decision"]?.post?.parameters as
      | Array<{ name: string; in: string; schema: object }>
      | undefined;
    const header = parameters?.find((p) => p.in === "header");
    expect(header?.name).toBe("Idempotency-Key");
    const valid = ajv().compile(header?.schema as object);
    expect(valid("6f1c2b9e-order-1001")).toBe(true);
    expect(valid("has space")).toBe(false);
    expect(valid("x".repeat(256))).toBe(false);
  });

  test("request schemas are the routes' own: the README example passes, broken bodies do not", async () => {
    const doc = await fetchDocument();
    const compiler = ajv();
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      compiler.addSchema(schema, `#/components/schemas/${name}`);
    }
    const decision = compiler.compile(doc.components.schemas.DecisionRequest as object);
    expect(decision(exampleDecision), JSON.stringify(decision.errors)).toBe(true);
    expect(decision({ ...exampleDecision, actions: undefined })).toBe(false);
    expect(decision({ ...exampleDecision, horizon: { value: -1, unit: "week" } })).toBe(false);
    const key = compiler.compile(doc.components.schemas.CreateKeyRequest as object);
    expect(key({ name: "ci", scopes: ["decide"] })).toBe(true);
    expect(key({ name: "ci", scopes: ["root"] })).toBe(false);
    const prune = compiler.compile(doc.components.schemas.PruneRequest as object);
    expect(prune({ older_than_days: 30 })).toBe(true);
    expect(prune({ older_than_days: 0 })).toBe(false);
    expect(key({ name: "ci", expires_in_days: 90 })).toBe(true);
    expect(key({ name: "ci", expires_in_days: 0.5 })).toBe(false);
    const rotate = compiler.compile(doc.components.schemas.RotateKeyRequest as object);
    expect(rotate({})).toBe(true);
    expect(rotate({ grace_hours: 0, expires_in_days: 30 })).toBe(true);
    expect(rotate({ grace_hours: -1 })).toBe(false);
    expect(rotate({ grace: 1 })).toBe(false);
    // What the batch route refuses, the document refuses too (actions: at least one).
    const batch = compiler.compile(doc.components.schemas.DecisionBatchRequest as object);
    const customers = [{ id: "c-1" }];
    const { horizon, actions } = exampleDecision;
    expect(batch({ customers, horizon, actions, budget: 10 }), JSON.stringify(batch.errors)).toBe(
      true,
    );
    expect(batch({ customers, horizon, actions: [], budget: 10 })).toBe(false);
    // Each body schema is referenced by the route that takes it.
    const refs = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops).flatMap((op) =>
        op.requestBody ? [op.requestBody.content["application/json"].schema.$ref] : [],
      ),
    );
    expect(refs.sort()).toEqual(
      [
        "AddPolicyRequest",
        "CampaignLinkRequest",
        "CreateKeyRequest",
        "DecisionBatchRequest",
        "DecisionRequest",
        "PruneRequest",
        "RotateKeyRequest",
      ].map((n) => `#/components/schemas/${n}`),
    );
    // The example is what the route itself accepts (no key: 401, not 400).
    const res = await app.request("/decision", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(exampleDecision),
    });
    expect(res.status).toBe(401);
  });

  test("GET /docs is one HTML page listing every operation, open without a key", async () => {
    const doc = await fetchDocument();
    const res = await app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        expect(html).toContain(`${method.toUpperCase()} ${path.replace(/&/g, "&amp;")}`);
      }
    }
    expect(html).not.toContain("<script");
  });
});

// A learned uplift's lineage (`learned_from`, written by `ml campaign learn`) is part of the
// definition the policy routes take and answer: the document said only "an object".
test("the policy routes document uplifts' learned_from", async () => {
  const doc = await fetchDocument();
  const text = (name: string) => JSON.stringify(doc.components.schemas[name]);
  for (const name of ["AddPolicyRequest", "PolicyVersion"]) {
    expect(text(name)).toContain('"learned_from"');
    for (const field of ["campaign", "window_end", "reported_at"])
      expect(text(name)).toContain(`"${field}"`);
  }
});

// The route refuses an unknown field at any depth of a policy definition (a 400 naming it); the
// document allowed them (its definition objects were open), so a client checking a body against
// it sent `rulez` and met a 400 the document did not predict.
test("AddPolicyRequest refuses unknown fields at any depth, as the route does", async () => {
  const doc = await fetchDocument();
  const compiler = ajv();
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    compiler.addSchema(schema, `#/components/schemas/${name}`);
  }
  const add = compiler.compile(doc.components.schemas.AddPolicyRequest as object);
  const definition = { profit_model: "expected-profit", rules: [{ rule: "max_cost", value: 1 }] };
  expect(add({ name: "cheap", definition }), JSON.stringify(add.errors)).toBe(true);
  const uplifts = { email: { uplift: 0.2, by_p_alive: [{ min: 0, max: 0.5, uplift: 0.3 }] } };
  expect(add({ name: "cheap", definition: { ...definition, uplifts } })).toBe(true);
  for (const typo of [
    { ...definition, rulez: [] },
    { ...definition, rules: [{ rule: "max_cost", value: 1, extra: 1 }] },
    { ...definition, uplifts: { email: { uplift: 0.2, zzz: 1 } } },
    { ...definition, uplifts: { email: { uplift: 0.2, by_p_alive: [{ min: 0, mx: 1 }] } } },
  ]) {
    expect(add({ name: "cheap", definition: typo }), JSON.stringify(typo)).toBe(false);
  }
});

// None was set, so a generated client's methods were named from paths, differently per tool.
test("every operation has a unique camelCase operationId", async () => {
  expect(operationIdProblems(await fetchDocument())).toEqual([]);
});

// Key ids, policy versions and page sizes are decimal digits (decimalIdParam); the document said
// only "a string", so a generated client took "0x10" or "1e3" and met a 400 it did not predict.
test("id, version and limit parameters document their decimal digits", async () => {
  const doc = await fetchDocument();
  const checked = [
    ["/admin/policies/{name}/versions/{version}", "get", "version"],
    ["/admin/keys/{id}/revoke", "post", "id"],
    ["/admin/customers/{id}/decisions", "get", "limit"],
    ["/campaigns", "get", "limit"],
  ] as const;
  for (const [path, method, name] of checked) {
    const parameter = (
      doc.paths[path]?.[method]?.parameters as { name: string; schema: object }[] | undefined
    )?.find((p) => p.name === name);
    const validate = ajv().compile(parameter?.schema ?? {});
    for (const good of ["1", "42", "2147483647"])
      expect(validate(good), `${path} ${good}`).toBe(true);
    for (const bad of ["0", "0x10", "1e3", "+2", "01", "-1", " 1", "abc"]) {
      expect(validate(bad), `${path} ${name}=${bad}`).toBe(false);
    }
  }
});

// The campaign pages open with an admin key or a signed link (?exp=&sig=, no key): the document
// listed only the keys, so a generated client or a gateway checking security asked a marketing
// team's link for an Authorization header it never needs.
test("the campaign pages document the signed link as an alternative to a key", async () => {
  const doc = (await fetchDocument()) as Doc & {
    components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> };
  };
  expect(doc.components.securitySchemes.signedLink).toMatchObject({
    type: "apiKey",
    in: "query",
    name: "sig",
  });
  for (const path of ["/campaigns", "/campaigns/{id}"]) {
    const security = (doc.paths[path]?.get as { security?: object[] } | undefined)?.security;
    expect(security).toEqual([{ apiKey: [] }, { apiKeyHeader: [] }, { signedLink: [] }]);
  }
  expect((doc.paths["/decision"]?.post as { security?: object[] } | undefined)?.security).toEqual([
    { apiKey: [] },
    { apiKeyHeader: [] },
  ]);
});
