import { describe, expect, test } from "bun:test";
import { httpReadinessCheck, runReadinessChecks } from "./readiness.ts";

describe("runReadinessChecks", () => {
  test("ready only when every check passes; reasons are kept", async () => {
    const report = await runReadinessChecks([
      { name: "model", check: async () => ({ ok: true }) },
      { name: "db", check: async () => ({ ok: false, reason: "connection refused" }) },
      {
        name: "cache",
        check: async () => {
          throw new Error("exploded");
        },
      },
    ]);
    expect(report.ready).toBe(false);
    expect(report.checks.map(({ duration_ms: _, ...c }) => c)).toEqual([
      { name: "model", status: "ok", ok: true },
      { name: "db", status: "failing", ok: false, reason: "connection refused" },
      // A thrown message may carry anything (a query and its parameters): only its name is shown.
      { name: "cache", status: "failing", ok: false, reason: "check failed (Error)" },
    ]);
    expect((await runReadinessChecks([])).ready).toBe(true);
  });

  test("a passing check may report a degraded mode: still ready, flagged with its reason", async () => {
    const report = await runReadinessChecks([
      { name: "model", check: async () => ({ ok: true, degraded: true, reason: "registry down" }) },
      { name: "db", check: async () => ({ ok: true }) },
    ]);
    expect(report.ready).toBe(true);
    expect(report.degraded).toBe(true);
    expect(report.checks[0]).toMatchObject({
      status: "degraded",
      ok: true,
      degraded: true,
      reason: "registry down",
    });
    expect(
      (await runReadinessChecks([{ name: "x", check: async () => ({ ok: true }) }])).degraded,
    ).toBe(false);
  });

  test("a hanging check fails after the timeout", async () => {
    const report = await runReadinessChecks(
      [{ name: "slow", check: () => new Promise(() => {}) }],
      { timeoutMs: 30 },
    );
    expect(report.checks[0]).toMatchObject({ ok: false, reason: "timed out after 30 ms" });
  });
});

describe("httpReadinessCheck", () => {
  test("passes on 2xx, fails naming the URL on other statuses and on network errors", async () => {
    const server = Bun.serve({
      port: 0,
      fetch: (req) => new Response("", { status: new URL(req.url).pathname === "/up" ? 200 : 503 }),
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect(await httpReadinessCheck("up", `${base}/up`).check()).toEqual({ ok: true });
      expect(await httpReadinessCheck("down", `${base}/down`).check()).toEqual({
        ok: false,
        reason: `${base}/down answered 503`,
      });
    } finally {
      server.stop(true);
    }
    const closed = await httpReadinessCheck("gone", `http://127.0.0.1:${server.port}/up`).check();
    expect(closed.ok).toBe(false);
    expect(closed.reason).toContain("unreachable");
  });
});
