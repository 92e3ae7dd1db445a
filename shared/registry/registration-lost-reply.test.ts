// A registration whose COMMIT reaches PostgreSQL but whose reply never comes back (the connection
// cut between the two: a proxy or load balancer restarting, a network partition). The version is
// registered, so its artifact files must stay: before, the registry's clean-up on error deleted
// them, and a committed version (production, with --promote) pointed at files that were gone. A
// real TCP proxy in front of the real PostgreSQL forwards the COMMIT and cuts the connection as
// the server's reply arrives.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import { createDatabase } from "../db/client.ts";
import { queryRows } from "../db/database.ts";
import { openTestDatabase } from "../testing/test-databases.ts";
import { ModelRegistry } from "./model-registry.ts";

setDefaultTimeout(60_000);
const storeDir = mkdtempSync(join(tmpdir(), "pp-lost-reply-store-"));
afterAll(() => rmSync(storeDir, { recursive: true, force: true }));

/**
 * A proxy to `target` that, once a client has sent a message holding COMMIT, cuts that client's
 * connection when the server's next bytes (the commit's reply) arrive, forwarding none of them.
 */
async function commitReplyCutter(target: URL) {
  let cut = 0;
  const server = createServer((client: Socket) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    let committing = false;
    client.on("data", (chunk: Buffer) => {
      if (/\bcommit\b/i.test(chunk.toString("latin1"))) committing = true;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!committing) {
        client.write(chunk);
        return;
      }
      cut++;
      client.destroy();
      upstream.destroy();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target.href);
  url.port = String(port);
  return { url: url.href, cuts: () => cut, close: () => server.close() };
}

test("a committed registration whose reply is lost keeps its artifact files", async () => {
  const t = await openTestDatabase("postgres"); // migrated directly, not through the proxy
  const proxy = await commitReplyCutter(new URL(t.options.databaseUrl as string));
  const handle = await createDatabase({ databaseUrl: proxy.url, maxConnections: 1 });
  try {
    const registry = new ModelRegistry(handle.db, new FileArtifactStore(storeDir));
    const error = await registry
      .registerVersion("lost-reply", {
        artifacts: [{ name: "model.onnx", bytes: new Uint8Array([1, 2, 3]) }],
        params: {},
        metrics: {},
        dataWindow: { calibrationEnd: "1997-09-30" },
        timeUnit: "week",
        trainedAt: new Date(),
        promote: true,
      })
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(proxy.cuts()).toBe(1);
    expect(error).not.toBeNull(); // the caller never heard that it committed
    // It did: the version is production, and every file it names is still in the store.
    const direct = new ModelRegistry(t.handle.db, new FileArtifactStore(storeDir));
    const version = await direct.getProductionVersion("lost-reply");
    expect(version?.version).toBe(1);
    const missing: string[] = [];
    for (const artifact of version?.artifacts ?? []) {
      const bytes = await direct.loadArtifact(version as never, artifact.name).catch(() => null);
      if (bytes === null) missing.push(artifact.name);
    }
    expect(missing).toEqual([]);
    const [row] = await queryRows<{ n: number }>(
      t.handle.db,
      sql`select count(*)::int as n from model_versions`,
    );
    expect(row?.n).toBe(1);
  } finally {
    await handle.close().catch(() => {});
    proxy.close();
    await t.cleanup();
  }
});
