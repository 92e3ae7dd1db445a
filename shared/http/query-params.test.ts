// queryParams: a value Hono would hand over as written (percent-encoding that does not decode) is
// a 400 naming its parameter; a parameter given twice reaches the schema as an array.
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import * as z from "zod";
import { handleError } from "../errors/error-handler.ts";
import { malformedQueryParams, queryParams } from "./query-params.ts";

describe("malformedQueryParams", () => {
  test("names each parameter whose name or value does not decode", () => {
    expect(malformedQueryParams("")).toEqual([]);
    expect(malformedQueryParams("?a=1&b=%20x+y&c&=&&d=%25")).toEqual([]);
    expect(malformedQueryParams("?a=%&b=%ED%A0%80&c=%E0%A4%A&d=ok&e%=1")).toEqual([
      "a",
      "b",
      "c",
      "e%",
    ]);
    expect(malformedQueryParams("?after+x=%")).toEqual(["after x"]);
  });
});

describe("queryParams", () => {
  const app = new Hono();
  app.onError(handleError);
  const schema = z.strictObject({ after: z.string({ error: "must be a string" }).optional() });
  app.get("/", queryParams(schema), (c) => c.json(c.req.valid("query")));

  const answer = async (query: string) => {
    const res = await app.request(`/${query}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test("passes decoded values through the schema", async () => {
    expect(await answer("?after=a%20b%2B")).toEqual({ status: 200, body: { after: "a b+" } });
  });

  test("a malformed, repeated or unknown parameter is a 400 naming it", async () => {
    for (const [query, path] of [
      ["?after=%", "after"],
      ["?after=%ED%A0%80", "after"],
      ["?after=a&after=b", "after"],
      ["?before=a", "before"],
    ]) {
      const { status, body } = await answer(query as string);
      const error = body.error as { code: string; details: Array<{ path: string }> };
      expect({ query, status, code: error.code, path: error.details[0]?.path }).toEqual({
        query,
        status: 400,
        code: "validation_error",
        path,
      });
    }
  });
});
