// GET /openapi.json (OpenAPI 3.1, request/response schemas generated from the zod schemas) and
// GET /docs, a self-contained HTML page rendered from the same document (no CDN needed).
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import type { Hono } from "hono";
import { z } from "zod";
import type { ForecastDeps } from "../deps.ts";
import {
  forecastRequestSchema,
  forecastResponseSchema,
  MAX_CUSTOMERS,
} from "./forecast-schemas.ts";

const exampleRequest = {
  horizon: { value: 39, unit: "week" },
  discount_rate: 0.1,
  customers: [
    { id: "c-17", summary: { frequency: 2, recency: 30.43, T: 38.86, monetary: 22.35 } },
    { id: "c-18" },
    { id: "c-19", transactions: [{ at: "1997-03-01", amount: 12.5 }] },
  ],
};

const errorSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        details: {
          type: "array",
          items: {
            type: "object",
            properties: { path: { type: "string" }, message: { type: "string" } },
          },
        },
      },
      required: ["code", "message"],
    },
  },
  required: ["error"],
};

const json = (schema: unknown) => ({ "application/json": { schema } });
const errorResponse = (description: string) => ({
  description,
  content: json({ $ref: "#/components/schemas/Error" }),
});

export function openApiDocument(version: string) {
  const request = z.toJSONSchema(forecastRequestSchema, { io: "input", unrepresentable: "any" });
  const response = z.toJSONSchema(forecastResponseSchema, { io: "output", unrepresentable: "any" });
  const strip = (schema: Record<string, unknown>) => {
    const { $schema: _, ...rest } = schema;
    return rest;
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "purchase-prediction forecast service",
      version,
      description:
        "Per-customer purchase forecasts (BG/NBD, Pareto/NBD, a gradient-boosted model scored with onnxruntime-web) with spend and CLV (Gamma-Gamma). Summaries are in the model's time unit (see /model-info).",
    },
    paths: {
      "/forecast": {
        post: {
          summary: `Forecast one customer or up to ${MAX_CUSTOMERS}`,
          description:
            "Each customer is given by id only (looked up among the production model's customers, as of the model's calibration end), by summary (frequency, recency, T in the model's time unit, monetary), or by transactions (summary and features computed at as_of). An unknown id is an error for that item only. The GBDT is trained for one horizon; for others its values are scaled by the customer's BG/NBD ratio E[X(h)]/E[X(H)].",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { $ref: "#/components/schemas/ForecastRequest" },
                example: exampleRequest,
              },
            },
          },
          responses: {
            "200": {
              description: "Forecasts, in request order",
              content: json({ $ref: "#/components/schemas/ForecastResponse" }),
            },
            "400": errorResponse(
              "Malformed JSON or invalid fields (details list path and problem per field)",
            ),
            "413": errorResponse("Body larger than the limit (10 MB by default)"),
            "415": errorResponse("Content-Type is not application/json"),
            "503": errorResponse("No model loaded yet"),
          },
        },
      },
      "/model-info": {
        get: {
          summary:
            "The model being served: version, stage, data window, time unit, holdout metrics, checksum, feature layout, inference engine",
          responses: {
            "200": { description: "Model information", content: json({ type: "object" }) },
            "503": errorResponse("No model loaded yet"),
          },
        },
      },
      "/health": { get: { summary: "Liveness", responses: { "200": { description: "Alive" } } } },
      "/ready": {
        get: {
          summary: "Readiness: 503 until a model is loaded",
          responses: { "200": { description: "Ready" }, "503": errorResponse("Not ready") },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (text format 0.0.4)",
          responses: {
            "200": {
              description: "Metrics",
              content: { "text/plain": { schema: { type: "string" } } },
            },
          },
        },
      },
      "/openapi.json": {
        get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
      "/docs": {
        get: {
          summary: "Human-readable documentation",
          responses: { "200": { description: "HTML" } },
        },
      },
    },
    components: {
      schemas: {
        ForecastRequest: strip(request as Record<string, unknown>),
        ForecastResponse: strip(response as Record<string, unknown>),
        Error: errorSchema,
      },
    },
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function docsPage(document: ReturnType<typeof openApiDocument>): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods as Record<string, { summary: string; description?: string }>).map(
      ([method, op]) =>
        `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2><p>${escapeHtml(op.summary)}</p>${
          op.description ? `<p>${escapeHtml(op.description)}</p>` : ""
        }</section>`,
    ),
  );
  const curl = `curl -s localhost:8001/forecast -H 'content-type: application/json' -d '${JSON.stringify(exampleRequest)}'`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}code{font-size:90%}</style>
</head><body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${escapeHtml(document.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Example</h2><pre>${escapeHtml(curl)}</pre>
${operations.join("\n")}
<h2>Request schema</h2><pre>${escapeHtml(JSON.stringify(document.components.schemas.ForecastRequest, null, 2))}</pre>
<h2>Response schema</h2><pre>${escapeHtml(JSON.stringify(document.components.schemas.ForecastResponse, null, 2))}</pre>
</body></html>`;
}

export function registerOpenApi(app: Hono<AppEnv>, deps: ForecastDeps): void {
  const document = openApiDocument(deps.version);
  const page = docsPage(document);
  app.get("/openapi.json", (c) => c.json(document));
  app.get("/docs", (c) => c.html(page));
}
