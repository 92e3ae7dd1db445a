// Test support: one stored customer's forecast from a running forecast service, reduced to what
// the real-process tests compare: the HTTP status and the item's error code ("forecast" if none).
export async function forecastItemById(
  base: string,
  id: string,
): Promise<{ status: number; item: string }> {
  const res = await fetch(`${base}/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers: [{ id }] }),
  });
  const body = (await res.json()) as { forecasts: Array<{ error?: { code: string } }> };
  return { status: res.status, item: body.forecasts[0]?.error?.code ?? "forecast" };
}
