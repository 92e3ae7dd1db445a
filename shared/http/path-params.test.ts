import { expect, test } from "bun:test";
import { Hono } from "hono";
import * as z from "zod";
import { handleError } from "../errors/error-handler.ts";
import { malformedParams, pathParams } from "./path-params.ts";

test("malformedParams: the parameters whose segment as sent does not decode", () => {
  const pattern = "/admin/policies/:name/versions/:version/activate";
  expect(malformedParams(pattern, "/admin/policies/p/versions/1/activate")).toEqual([]);
  // %25 is a "%", %2F a "/" inside the segment, %C3%A9 an "é": all decode.
  expect(malformedParams(pattern, "/admin/policies/a%25b%2Fc%C3%A9/versions/1/activate")).toEqual(
    [],
  );
  expect(malformedParams(pattern, "/admin/policies/%E0%A4%A/versions/1/activate")).toEqual([
    "name",
  ]);
  expect(malformedParams(pattern, "/admin/policies/100%/versions/%zz/activate")).toEqual([
    "name",
    "version",
  ]);
  // Optional and regex parameters are named without their ? or {…}.
  expect(malformedParams("/a/:id{[0-9%A-F]+}/:tail?", "/a/%E0/%")).toEqual(["id", "tail"]);
});

test("pathParams: a 400 naming each malformed parameter, else the schema's parse", async () => {
  const app = new Hono();
  app.onError(handleError);
  const digits = z.string().regex(/^[0-9]+$/, { error: "digits" });
  const schema = z.object({ a: z.string(), n: digits.transform(Number) });
  app.get("/x/:a/y/:n", pathParams(schema), (c) => c.json(c.req.valid("param")));
  const ok = await app.request("/x/caf%C3%A9%2525/y/7");
  expect(await ok.json()).toEqual({ a: "café%25", n: 7 });
  const bad = await app.request("/x/%E0%A4%A/y/7%");
  expect(bad.status).toBe(400);
  expect(await bad.json()).toEqual({
    error: {
      code: "validation_error",
      message:
        "Invalid path: a: is not valid percent-encoding (UTF-8): write a % in an id as %25; n: is not valid percent-encoding (UTF-8): write a % in an id as %25",
      details: [
        { path: "a", message: "is not valid percent-encoding (UTF-8): write a % in an id as %25" },
        { path: "n", message: "is not valid percent-encoding (UTF-8): write a % in an id as %25" },
      ],
    },
  });
  // Well encoded: the schema's own rules.
  const refused = await app.request("/x/a/y/b");
  expect(refused.status).toBe(400);
  const { error } = (await refused.json()) as { error: { details: unknown } };
  expect(error.details).toEqual([{ path: "n", message: "digits" }]);
});
