// A real decision process started without CAMPAIGN_SECRET: a link forged with the development key
// (it is in the source) opens nothing; links the service makes still open its pages.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEV_CAMPAIGN_SECRET } from "@pp/shared/policy/control-assignment.ts";
import {
  type ServiceProcesses,
  startServiceProcesses,
} from "../../../testing/service-processes.ts";
import { LinkSigner } from "./signed-links.ts";

const ADMIN = "dev-secret-links-admin-0123456789";
let services: ServiceProcesses;

beforeAll(async () => {
  services = await startServiceProcesses({ decision: { ADMIN_API_KEYS: ADMIN } });
}, 180_000);

afterAll(() => services?.stop());

test("without CAMPAIGN_SECRET, a link signed with the development key is refused", async () => {
  const base = services.decision.base;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const forged = await new LinkSigner(DEV_CAMPAIGN_SECRET).sign("/campaigns", exp);
  // Before: 200, the list of every campaign, to anyone who read the source.
  expect((await fetch(`${base}${forged}`)).status).toBe(401);
  const made = await fetch(`${base}/admin/campaign-links`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: "{}",
  });
  const { url } = (await made.json()) as { url: string };
  expect((await fetch(`${base}${url}`)).status).toBe(200);
});
