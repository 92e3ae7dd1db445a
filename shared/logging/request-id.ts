// Request ids: the caller's `X-Request-Id` when it is sane, else a fresh UUID.

export const requestIdHeader = "X-Request-Id";

// Bounded and printable, so a hostile header cannot bloat or forge log lines.
const acceptableRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function chooseRequestId(incoming: string | undefined | null): string {
  if (incoming && acceptableRequestId.test(incoming)) return incoming;
  return crypto.randomUUID();
}
