// When a Worker isolate tries its first model load again: Workers run no timer between requests,
// so the holder's 1 s retry (Bun, Node, Deno) never fires there, and an isolate whose first load
// failed (R2, KV or the model's URL away) stayed 503 until the next poll, 30 s by default.

const FIRST_RETRY_MS = 1000;
/** With polling off (MODEL_POLL_INTERVAL_MS=0) the retries still go on, this far apart at most. */
const LONGEST_RETRY_MS = 30_000;

/** Due after 1 s, then 2 s, 4 s, … up to the poll interval; a request asks `due()`. */
export class FirstLoadRetry {
  private delayMs = FIRST_RETRY_MS;
  private nextAt: number;

  constructor(
    private readonly pollIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.nextAt = now() + this.delayMs;
  }

  /** True when a retry is due now (and schedules the next one, twice as far). */
  due(): boolean {
    const now = this.now();
    if (now < this.nextAt) return false;
    const longest = this.pollIntervalMs > 0 ? this.pollIntervalMs : LONGEST_RETRY_MS;
    this.delayMs = Math.min(this.delayMs * 2, longest);
    this.nextAt = now + this.delayMs;
    return true;
  }
}
