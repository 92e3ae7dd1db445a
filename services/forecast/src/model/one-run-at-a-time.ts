// One run of a task at a time, for work that follows a changing source (the model holder's reload,
// `ml publish --follow`'s publish): callers share the run under way, and a change signalled during
// it gets one more run after it, since the run may have read the source before the change.
export interface OneRunOptions {
  /**
   * A run under way this long is no longer shared: the next run() starts a new one, and the old
   * one is told (its `isCurrent()` turns false) so it applies nothing if it ever ends. For Workers,
   * which cancel a request's background work some 30 s after its answer: the cancelled run's
   * promise never settles, and every later run joined it. Default: never.
   */
  abandonAfterMs?: number;
  now?: () => number;
}

export class OneRunAtATime<T> {
  private running: Promise<T> | null = null;
  private startedAt = 0;
  /** Bumped by each run started: a run is current while the generation is its own. */
  private generation = 0;
  private again = false;
  private readonly now: () => number;

  /** `task` is given `isCurrent`: false once the run was abandoned for a newer one. */
  constructor(
    private readonly task: (isCurrent: () => boolean) => Promise<T>,
    private readonly options: OneRunOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Starts the task unless it runs; resolves with the run under way. */
  run(): Promise<T> {
    if (this.running && this.overdue()) this.running = null;
    if (!this.running) {
      const generation = ++this.generation;
      const isCurrent = () => this.generation === generation;
      this.startedAt = this.now();
      this.running = this.task(isCurrent).finally(() => {
        if (!isCurrent()) return; // abandoned: a newer run owns the state
        this.running = null;
        if (this.again) {
          this.again = false;
          void this.run();
        }
      });
    }
    return this.running;
  }

  /** Something changed: run now, or once more after the run under way. */
  changed(): void {
    if (this.running && !this.overdue()) this.again = true;
    else void this.run();
  }

  /** Resolves when the run under way (if any) has ended, whatever its outcome. */
  async idle(): Promise<void> {
    await this.running?.catch(() => {});
  }

  private overdue(): boolean {
    const limit = this.options.abandonAfterMs;
    return limit !== undefined && this.now() - this.startedAt >= limit;
  }
}
