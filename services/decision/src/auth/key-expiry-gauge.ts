// /metrics: when each API key name stops working (api_key_expiry_timestamp_seconds), so an alert
// (ApiKeyExpiresSoon, monitoring/rules/decision.yml) says so days before a client gets 401s.
// Labelled by the key's id, never its name: /metrics is open to whoever reaches it, and key names
// are operator labels that often name a customer or tenant (they were exposed as `key_name`).
// The id is what `keys rotate ID` takes; `keys list` and GET /admin/keys name it.
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import type { ApiKeyRing } from "./api-key-ring.ts";

/** Registers the gauge, filled from the ring's copy of the keys at each scrape; returns the ring. */
export function keyExpiryGauge(metrics: MetricsRegistry, ring: ApiKeyRing): ApiKeyRing {
  const gauge = metrics.gauge({
    name: "api_key_expiry_timestamp_seconds",
    help: "When the API keys of a name stop working (Unix seconds; the latest expiry among its keys, so a rotated name shows its new key's), by the id of that key (keys list names it). Names with a key that never expires are not listed.",
    labelNames: ["key_id"],
  });
  metrics.onCollect(() => {
    gauge.reset();
    for (const [id, at] of ring.expiryByKeyId()) gauge.set({ key_id: String(id) }, at / 1000);
  });
  return ring;
}
