// Test support, run under Node (`node --import tsx`; miniflare needs Node's fetch): answers
// inspections of wrangler's local state, one JSON request line on stdin ({ model, customer? }) to
// one reply line on stdout, each on a miniflare opened for it and disposed after, as
// `cloudflare-local-state.ts inspect` does. One such process serves a test file: Node, tsx and
// the modules load once instead of at every inspection (3 s of CPU each on CI's two cores).
//   node --import tsx local-state-inspector.ts <wrangler.toml> <persist dir>
import { createInterface } from "node:readline";
import { openLocalBindings } from "../../scripts/local-bindings.ts";
import { inspectLocalModel } from "../../scripts/local-state-inspect.ts";

const REPLY = "inspection: "; // local-workers-state.ts looks for it

const [configPath, persistDir] = process.argv.slice(2);
if (!configPath || !persistDir) {
  console.error("usage: local-state-inspector.ts <wrangler.toml> <persist dir>");
  process.exit(2);
}

for await (const line of createInterface({ input: process.stdin })) {
  const { model, customer } = JSON.parse(line) as { model: string; customer?: string };
  let reply: { inspection: unknown } | { error: string };
  try {
    const { bucket, pointer, dispose } = await openLocalBindings(configPath, persistDir);
    try {
      reply = { inspection: await inspectLocalModel(pointer, bucket, model, customer) };
    } finally {
      await dispose();
    }
  } catch (error) {
    reply = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  process.stdout.write(`${REPLY}${JSON.stringify(reply)}\n`);
}
