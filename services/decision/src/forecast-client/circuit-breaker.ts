// A circuit breaker for calls to the forecast service: after `failureThreshold` consecutive
// failures it opens and fails fast for `openMs`, then lets one trial call through (half-open);
// a success closes it, a failure opens it again. Keeps a dead upstream from costing a timeout
// on every request.

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  failureThreshold?: number;
  openMs?: number;
  /** Clock in ms (injectable for tests). */
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: BreakerState = "closed";
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private readonly onStateChange?: (state: BreakerState) => void;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 5);
    this.openMs = Math.max(0, options.openMs ?? 10_000);
    this.now = options.now ?? (() => Date.now());
    this.onStateChange = options.onStateChange;
  }

  /**
   * What the breaker is doing: open from the failure that opened it until a trial call goes out
   * (however long after `openMs` that is: a quiet service sends none), half-open while the trial
   * is in flight. The gauge reads it, so an outage reads open throughout, where it used to read
   * half-open once `openMs` had passed and the 5-minute alert on "open" never fired.
   */
  get state(): BreakerState {
    return this.current;
  }

  /** Milliseconds until an open breaker lets a trial call through (0 when not open). */
  retryAfterMs(): number {
    if (this.current !== "open") return 0;
    return Math.max(0, this.openMs - (this.now() - this.openedAt));
  }

  /** Whether a call may go out now: when open, one trial once `openMs` has passed. */
  tryAcquire(): boolean {
    if (this.current === "closed") return true;
    if (this.trialInFlight || this.now() - this.openedAt < this.openMs) return false;
    this.trialInFlight = true;
    this.setState("half_open");
    return true;
  }

  onSuccess(): void {
    this.consecutiveFailures = 0;
    this.trialInFlight = false;
    this.setState("closed");
  }

  onFailure(): void {
    this.trialInFlight = false;
    this.consecutiveFailures++;
    if (this.current === "half_open" || this.consecutiveFailures >= this.failureThreshold) {
      this.openedAt = this.now();
      this.setState("open");
    }
  }

  private setState(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.onStateChange?.(state);
  }
}
