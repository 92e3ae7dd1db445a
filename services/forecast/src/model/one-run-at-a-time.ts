// One run of a task at a time, for work that follows a changing source (the model holder's reload,
// `ml publish --follow`'s publish): callers share the run under way, and a change signalled during
// it gets one more run after it, since the run may have read the source before the change.
export class OneRunAtATime<T> {
  private running: Promise<T> | null = null;
  private again = false;

  constructor(private readonly task: () => Promise<T>) {}

  /** Starts the task unless it runs; resolves with the run under way. */
  run(): Promise<T> {
    if (!this.running) {
      this.running = this.task().finally(() => {
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
    if (this.running) this.again = true;
    else void this.run();
  }

  /** Resolves when the run under way (if any) has ended, whatever its outcome. */
  async idle(): Promise<void> {
    await this.running?.catch(() => {});
  }
}
