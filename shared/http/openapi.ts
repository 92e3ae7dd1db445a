// An OpenAPI 3.1 document built from a service's route list and the zod schemas beside its routes
// (request bodies, path and query parameters and answers through zod's own z.toJSONSchema; every
// status with its headers), and the self-contained /docs page rendered from it (no CDN needed).
import * as z from "zod";
import { errorBodySchema } from "../errors/error-body-schema.ts";

type Method = "get" | "post" | "put" | "patch" | "delete";

/** One route as the service registers it. `path` is in Hono's form (`/keys/:id/revoke`). */
export interface OperationSpec {
  method: Method;
  path: string;
  summary: string;
  description?: string;
  /** The API key scope the route needs (a bearer key), if any. */
  scope?: string;
  /** The security requirements, when not the `scope`'s bearer key (`{}` in the list: optional). */
  security?: Array<Record<string, string[]>>;
  body?: z.ZodType;
  /** Name of the body schema under components/schemas (default: derived from the path). */
  bodyName?: string;
  bodyExample?: unknown;
  /** The body may be left out (every field has a default). */
  bodyOptional?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads (e.g. Idempotency-Key), by name. */
  headers?: z.ZodObject;
  /** The success answer's schema (a component named `responseName`). */
  response?: z.ZodType;
  responseName?: string;
  /** Headers of the success answers beyond X-Request-Id (name → description). */
  successHeaders?: Record<string, string>;
  /** Status → description; JSON error statuses get the shared Error schema. */
  responses: Record<string, string>;
  /** Content type of the success answers (none documented when neither this nor `response`). */
  produces?: string;
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

/** Response headers every answer may carry, documented once under components/headers. */
export const sharedHeaders = {
  "X-Request-Id": {
    description:
      "The request's id as logged: the X-Request-Id sent (1-128 of A-Z a-z 0-9 . _ : @ / + = -), else a new UUID",
    schema: { type: "string" },
  },
  "Retry-After": {
    description: "Seconds to wait before retrying (429, 503, 504; a 409 for a request in flight)",
    schema: { type: "string", pattern: "^[0-9]+$" },
  },
  Allow: {
    description:
      "On a 405 (a documented path called with another method): the methods the path takes",
    schema: { type: "string" },
  },
};

const headerRef = (name: keyof typeof sharedHeaders) => ({
  $ref: `#/components/headers/${name}`,
});

/** Statuses whose answers may say when to retry. */
const RETRYABLE = new Set(["409", "429", "503", "504"]);

/** The error body every 4xx/5xx answer carries (components/schemas/Error). */
export const errorSchema = jsonSchemaOf(errorBodySchema, "output");

/**
 * A zod schema as JSON Schema (draft 2020-12, what OpenAPI 3.1 uses), without `$schema`. Input
 * objects are closed: the services refuse an unknown field at any depth of a body or query (a
 * 400 naming it), also where the schema checks for them itself (a policy definition's).
 */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    ...(io === "input" ? { override: closeObject } : {}),
  }) as Record<string, unknown>;
  return rest;
}

/** An object schema with named properties and no word on others: others are refused. */
function closeObject({ jsonSchema }: { jsonSchema: Record<string, unknown> }): void {
  if (jsonSchema.properties !== undefined && jsonSchema.additionalProperties === undefined) {
    jsonSchema.additionalProperties = false;
  }
}

/**
 * An operation's id, from its method and path: `post /decision/batch` is `postDecisionBatch`,
 * `get /admin/keys/:id` `getAdminKeysById` (unique as method and path are; client generators
 * name their methods after it).
 */
export function operationIdOf(method: Method, path: string): string {
  const words = path
    .split("/")
    .filter(Boolean)
    .flatMap((segment) =>
      segment.startsWith(":")
        ? ["by", ...segment.slice(1).split(/[^A-Za-z0-9]+/)]
        : segment.split(/[^A-Za-z0-9]+/),
    )
    .filter(Boolean);
  return method + words.map((w) => (w[0]?.toUpperCase() ?? "") + w.slice(1)).join("");
}

/** Hono's `:name` path parameters in OpenAPI's `{name}` form. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function parametersOf(where: "path" | "query" | "header", schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const json = jsonSchemaOf(schema, "input") as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const schemaNameOf = (op: OperationSpec) =>
  op.bodyName ??
  `${op.path
    .split(/[/:-]/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join("")}Request`;

function operationOf(op: OperationSpec, schemas: Record<string, unknown>) {
  const parameters = [
    ...parametersOf("path", op.params),
    ...parametersOf("query", op.query),
    ...parametersOf("header", op.headers),
  ];
  let requestBody: unknown;
  if (op.body) {
    const name = schemaNameOf(op);
    schemas[name] = jsonSchemaOf(op.body, "input");
    requestBody = {
      required: !op.bodyOptional,
      content: {
        "application/json": {
          schema: { $ref: `#/components/schemas/${name}` },
          ...(op.bodyExample !== undefined ? { example: op.bodyExample } : {}),
        },
      },
    };
  }
  let success: Record<string, { schema: unknown }> | undefined;
  if (op.response) {
    const name = op.responseName ?? schemaNameOf(op).replace(/Request$/, "Response");
    schemas[name] = jsonSchemaOf(op.response, "output");
    success = { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } };
  } else if (op.produces) {
    const schema = op.produces === "application/json" ? { type: "object" } : { type: "string" };
    success = { [op.produces]: { schema } };
  }
  const responses = Object.fromEntries(
    Object.entries(op.responses).map(([status, description]) => {
      const headers: Record<string, unknown> = { "X-Request-Id": headerRef("X-Request-Id") };
      if (RETRYABLE.has(status)) headers["Retry-After"] = headerRef("Retry-After");
      if (Number(status) >= 400) {
        const content = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
        return [status, { description, headers, content }];
      }
      for (const [name, about] of Object.entries(op.successHeaders ?? {})) {
        headers[name] = { description: about, schema: { type: "string" } };
      }
      return [status, { description, headers, ...(success ? { content: success } : {}) }];
    }),
  );
  return {
    operationId: operationIdOf(op.method, op.path),
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    ...(op.scope ? { security: [{ apiKey: [] }, { apiKeyHeader: [] }], "x-scope": op.scope } : {}),
    ...(op.security ? { security: op.security } : {}),
    responses,
  };
}

/** How a route with a `scope` takes its key: Bearer, or X-API-Key (the `security` of such routes). */
export const keySecuritySchemes = {
  apiKey: { type: "http", scheme: "bearer", description: "An API key: Bearer <key>" },
  apiKeyHeader: {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "The same key as X-API-Key: <key> (Bearer first when both are sent)",
  },
};

/** The OpenAPI 3.1 document of `operations`. */
export function buildOpenApiDocument(
  info: DocumentInfo,
  operations: readonly OperationSpec[],
  options: { securitySchemes?: Record<string, unknown> } = {},
) {
  const schemas: Record<string, unknown> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[op.method] = operationOf(op, schemas);
  }
  schemas.Error = errorSchema;
  const keyed = operations.some((op) => op.scope);
  const securitySchemes = options.securitySchemes ?? (keyed ? keySecuritySchemes : undefined);
  return {
    openapi: "3.1.0" as const,
    info,
    paths,
    components: {
      schemas,
      headers: sharedHeaders,
      ...(securitySchemes ? { securitySchemes } : {}),
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

export const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The /docs page: every operation with its parameters and request schema, and an example. */
export function renderDocsPage(document: OpenApiDocument, example?: string): string {
  const sections = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, raw]) => {
      const op = raw as ReturnType<typeof operationOf>;
      const body = op.requestBody as
        | { content: { "application/json": { schema: { $ref: string } } } }
        | undefined;
      const ref = body?.content["application/json"].schema.$ref.split("/").pop();
      const schema = ref ? document.components.schemas[ref] : undefined;
      return `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>
<p>${escapeHtml(op.summary)}${op["x-scope"] ? ` <em>(API key with the ${escapeHtml(op["x-scope"])} scope)</em>` : ""}</p>${
        op.description ? `<p>${escapeHtml(op.description)}</p>` : ""
      }${
        op.parameters
          ? `<p>Parameters: ${op.parameters.map((p) => `<code>${escapeHtml(p.name)}</code> (${p.in})`).join(", ")}</p>`
          : ""
      }${schema ? `<details><summary>Request body: ${escapeHtml(ref ?? "")}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>` : ""}
<p>Answers: ${Object.entries(op.responses as Record<string, { description: string }>)
        .map(([status, r]) => `${status} ${escapeHtml(r.description)}`)
        .join(" · ")}</p></section>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}code{font-size:90%}</style>
</head><body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${escapeHtml(document.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${example ? `<h2>Example</h2><pre>${escapeHtml(example)}</pre>` : ""}
${sections.join("\n")}
</body></html>`;
}
