import { expect, test } from "bun:test";
import { Hono } from "hono";
import { type PresentedApiKey, presentedApiKey } from "./presented-api-key.ts";

const app = new Hono();
app.get("/", (c) => c.json(presentedApiKey(c)));

async function read(headers: Record<string, string>): Promise<PresentedApiKey> {
  return (await (await app.request("/", { headers })).json()) as PresentedApiKey;
}

const unreadable = (header: string) => expect.objectContaining({ kind: "unreadable", header });

test("one key from Bearer or X-API-Key, trimmed; Bearer first; 512 characters at most", async () => {
  expect(await read({ authorization: "bearer  k1 " })).toEqual({ kind: "key", key: "k1" });
  expect(await read({ "x-api-key": "\u00a0k2\t" })).toEqual({ kind: "key", key: "k2" });
  expect(await read({ authorization: "Bearer k1", "x-api-key": "k2" })).toEqual({
    kind: "key",
    key: "k1",
  });
  expect(await read({ authorization: "Basic dXNlcjpwYXNz", "x-api-key": "k2" })).toEqual({
    kind: "key",
    key: "k2",
  });
  const longest = "k".repeat(512);
  expect(await read({ "x-api-key": longest })).toEqual({ kind: "key", key: longest });
  expect(await read({ "x-api-key": `${longest}x` })).toEqual(unreadable("X-API-Key"));
  expect(await read({ authorization: `Bearer ${longest}x` })).toEqual(unreadable("Authorization"));
});

test("a header holding no readable key is named; empty headers are no key", async () => {
  expect(await read({ "x-api-key": "k 2" })).toEqual({
    kind: "unreadable",
    header: "X-API-Key",
    message: "X-API-Key header is not one key (no spaces in it, at most 512 characters)",
  });
  expect(await read({ "x-api-key": "k1, k2" })).toEqual(unreadable("X-API-Key"));
  expect(await read({ authorization: "Basic dXNlcjpwYXNz" })).toEqual(unreadable("Authorization"));
  expect(await read({ authorization: "Bearer" })).toEqual(unreadable("Authorization"));
  // Both unreadable: X-API-Key is named, the header a client sending it meant.
  expect(await read({ authorization: "Bearer a b", "x-api-key": "c d" })).toEqual(
    unreadable("X-API-Key"),
  );
  expect(await read({})).toEqual({ kind: "none" });
  expect(await read({ "x-api-key": "", authorization: "" })).toEqual({ kind: "none" });
});
