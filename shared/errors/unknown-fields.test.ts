import { expect, test } from "bun:test";
import * as z from "zod";
import { unknownFields } from "./unknown-fields.ts";

const schema = z.object({
  rules: z.array(z.object({ rule: z.string(), value: z.number() })).default([]),
  uplifts: z.record(z.string(), z.object({ uplift: z.number() })).optional(),
});

test("keys the schema dropped are named with their path, at any depth; known ones are not", () => {
  const sent = JSON.parse(
    '{"rulez": [], "rules": [{"rule": "max_cost", "value": 1, "action": ["a"]}], "uplifts": {"a": {"uplift": 0.1, "upflit": 2}, "__proto__": {"uplift": 1}}}',
  );
  const parsed = schema.parse(sent);
  expect(unknownFields(sent, parsed)).toEqual([
    { path: ["rulez"], message: 'unknown field "rulez"' },
    { path: ["rules", 0, "action"], message: 'unknown field "action"' },
    { path: ["uplifts", "a", "upflit"], message: 'unknown field "upflit"' },
    { path: ["uplifts", "__proto__"], message: 'unknown field "__proto__"' },
  ]);
  const clean = { rules: [{ rule: "max_cost", value: 1 }] };
  expect(unknownFields(clean, schema.parse(clean))).toEqual([]);
});
