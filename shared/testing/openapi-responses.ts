// Test support: real answers checked against a service's own /openapi.json: the status is
// documented for the operation, the body has a documented media type and fits its schema, and
// the headers the services set (Retry-After, Idempotent-Replayed) are documented for that status.
import type { ValidateFunction } from "ajv";
import { newAjv } from "./openapi-checks.ts";

interface DocumentedResponse {
  headers?: Record<string, unknown>;
  content?: Record<string, { schema: object }>;
}
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, DocumentedResponse> }>>;
  components: { schemas: Record<string, object>; headers?: Record<string, unknown> };
}

/** Headers a client acts on: each one an answer carries must be documented for its status. */
const CHECKED_HEADERS = ["X-Request-Id", "Retry-After", "Idempotent-Replayed"];

/** A checker of answers against `doc`; `seen` lists "method path status" for every check. */
export function openApiResponseChecker(doc: Document) {
  // The components' schemas under $defs, so each response schema compiles on its own.
  const defs = JSON.parse(
    JSON.stringify(doc.components.schemas).replaceAll("#/components/schemas/", "#/$defs/"),
  ) as Record<string, object>;
  const ajv = newAjv();
  const compiled = new Map<string, ValidateFunction>();
  const validatorOf = (schema: object) => {
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (!validate) {
      const rewritten = JSON.parse(key.replaceAll("#/components/schemas/", "#/$defs/"));
      validate = ajv.compile({ ...rewritten, $defs: defs });
      compiled.set(key, validate);
    }
    return validate;
  };
  const seen: string[] = [];

  /** Problems of one answer to `method` `path` (the document's template, e.g. /keys/{id}). */
  async function problemsOf(method: string, path: string, res: Response): Promise<string[]> {
    const where = `${method.toUpperCase()} ${path} ${res.status}`;
    seen.push(`${method} ${path} ${res.status}`);
    const operation = doc.paths[path]?.[method];
    if (!operation) return [`${where}: the operation is not documented`];
    const documented = operation.responses[String(res.status)];
    if (!documented) return [`${where}: status not documented`];
    const problems = CHECKED_HEADERS.filter(
      (name) => res.headers.has(name) && !documented.headers?.[name],
    ).map((name) => `${where}: header ${name} not documented`);
    const text = await res.text();
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const content = documented.content;
    if (!content) {
      return text === "" ? problems : [...problems, `${where}: a body, none documented`];
    }
    const media = content[mediaType];
    if (!media) return [...problems, `${where}: content-type ${mediaType} not documented`];
    if (mediaType !== "application/json") return problems;
    const validate = validatorOf(media.schema);
    if (!validate(JSON.parse(text))) {
      problems.push(`${where}: body does not fit: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
    return problems;
  }
  return { problemsOf, seen };
}
