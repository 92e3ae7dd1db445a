// The stage a bundle-served model reports (/model-info on Workers: bundled and R2 sources). A
// version published on purpose while not production (`ml publish NAME 1 --target cloudflare` of a
// version archived by a later promotion) reported "stage": "archived" while it answered every
// /forecast: now "published". A version exported as production keeps "production".
import { beforeAll, expect, test } from "bun:test";
import { type DemoBundle, memoryReader, trainDemoBundle } from "../testing/demo-bundle.ts";
import { decodeBundle, encodeBundle } from "./exported-bundle.ts";

let demo: DemoBundle;
beforeAll(async () => {
  demo = await trainDemoBundle({ customers: 60 });
}, 120_000);

async function servedStage(stage: string): Promise<string> {
  const files = await encodeBundle({ ...demo.raw, identity: { ...demo.raw.identity, stage } });
  return (await decodeBundle(memoryReader(files), "r2:purchase/1")).identity.stage;
}

test("a version exported while archived or staging is served as published", async () => {
  expect(await servedStage("archived")).toBe("published");
  expect(await servedStage("staging")).toBe("published");
});

test("a version exported as production keeps its stage", async () => {
  expect(await servedStage("production")).toBe("production");
});
