// /metrics: when each API key name stops working (api_key_expiry_timestamp_seconds), so an alert
// (ApiKeyExpiresSoon, monitoring/rules/decision.yml) says so days before a client gets 401s.
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import type { ApiKeyRing } from "./api-key-ring.ts";

/** Registers the gauge, filled from the ring's copy of the keys at each scrape; returns the ring. */
export function keyExpiryGauge(metrics: MetricsRegistry, ring: ApiKeyRing): ApiKeyRing {
  const gauge = metrics.gauge({
    name: "api_key_expiry_timestamp_seconds",
    help: "When the API keys of a name stop working (Unix seconds; the latest expiry among its keys, so a rotated name shows its new key's). Names with a key that never expires are not listed.",
    labelNames: ["key_name"],
  });
  metrics.onCollect(() => {
    gauge.reset();
    for (const [name, at] of ring.expiryByName()) gauge.set({ key_name: name }, at / 1000);
  });
  return ring;
}
