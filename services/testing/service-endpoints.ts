// Every endpoint of both services for the property tests, with the check that a 2xx answer is a
// valid result (the documented /forecast response; decision and batch ids present).
import fc from "fast-check";
import { forecastResponseSchema } from "../forecast/src/index.ts";
import { type Endpoint, type RequestSpec, validishBodies } from "./adversarial-requests.ts";

/** A 2xx from POST /forecast has the documented shape and one item per customer sent. */
export function validForecast(spec: RequestSpec, body: unknown): void {
  if (spec.method !== "POST" || !spec.path.startsWith("/forecast")) return;
  const parsed = forecastResponseSchema.safeParse(body);
  if (!parsed.success) throw new Error(`invalid /forecast result: ${parsed.error.message}`);
  const sent = JSON.parse(new TextDecoder().decode(spec.body)) as { customers: unknown[] };
  if (parsed.data.forecasts.length !== sent.customers.length)
    throw new Error("one forecast per customer expected");
}

export function validDecision(spec: RequestSpec, body: unknown): void {
  if (spec.method !== "POST") return;
  const b = body as Record<string, unknown>;
  if (
    spec.path === "/decision" &&
    (typeof b.decision_id !== "string" || typeof b.chosen !== "string")
  )
    throw new Error(`invalid /decision result: ${JSON.stringify(b).slice(0, 200)}`);
  if (spec.path === "/decision/batch" && typeof b.batch_id !== "string")
    throw new Error(`invalid /decision/batch result: ${JSON.stringify(b).slice(0, 200)}`);
}

export function forecastEndpoints(known: readonly string[]): Endpoint[] {
  const bodies = validishBodies(known);
  return [
    { method: "POST", path: "/forecast", body: bodies.forecast },
    { method: "GET", path: "/model-info" },
    { method: "GET", path: "/openapi.json" },
    { method: "GET", path: "/docs" },
    { method: "GET", path: "/health" },
    { method: "GET", path: "/ready" },
    { method: "GET", path: "/metrics" },
  ];
}

export function decisionEndpoints(known: readonly string[]): Endpoint[] {
  const bodies = validishBodies(known);
  return [
    { method: "POST", path: "/decision", body: bodies.decision },
    { method: "POST", path: "/decision", body: bodies.decision },
    { method: "POST", path: "/decision/batch", body: bodies.batch },
    { method: "GET", path: "/admin/policies" },
    { method: "GET", path: "/admin/policies/active" },
    { method: "POST", path: "/admin/policies", body: bodies.policy },
    { method: "GET", path: "/admin/policies/default/versions/1" },
    { method: "GET", path: "/admin/policies/nope/versions/1e999" },
    { method: "POST", path: "/admin/policies/default/versions/1/activate" },
    { method: "POST", path: "/admin/policies/fuzz/versions/99999999999/activate" },
    { method: "GET", path: "/health" },
    { method: "GET", path: "/metrics" },
  ];
}

export const authorizations = fc.oneof(
  { weight: 8, arbitrary: fc.constant("Bearer k") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      "",
      "Bearer",
      "Bearer wrong",
      "Basic aGk6dGhlcmU=",
      `Bearer ${"k".repeat(10_000)}`,
      "bearer k",
    ),
  },
);
