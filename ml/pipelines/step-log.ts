// Progress display for long pipeline steps: a cli-progress bar on a TTY, otherwise one stderr line
// per step with its duration, so logs of non-interactive runs still show where the time went.

import cliProgress from "cli-progress";

export interface ProgressCounter {
  tick(label?: string): void;
  /**
   * How the parts still running are doing (e.g. trees grown so far), between ticks: the bar's
   * label on a TTY, else a line at most every NOTE_EVERY_MS, so a long part shows it is alive.
   */
  note(label: string): void;
  stop(): void;
}

/** Without a bar, a counter's notes are written at most this often (one line each). */
export const NOTE_EVERY_MS = 30_000;

export interface StepLog {
  /** Runs one named step and reports its duration; returns what the step returns. */
  step<T>(name: string, run: () => T | Promise<T>): Promise<T>;
  /** A counter for a step made of `total` parts (e.g. K folds). */
  counter(name: string, total: number): ProgressCounter;
  info(message: string): void;
  warn(message: string): void;
  /** Seconds each finished step took. */
  readonly seconds: Record<string, number>;
}

export interface StepLogOptions {
  /** Where lines go (default stderr); `null` silences the log. */
  write?: ((line: string) => void) | null;
  /** Draw a progress bar (default: when stderr is a TTY). */
  bar?: boolean;
  /** The clock notes are throttled by (tests); default Date.now. */
  now?: () => number;
}

export function createStepLog(options: StepLogOptions = {}): StepLog {
  const write =
    options.write === null
      ? () => {}
      : (options.write ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const bar = options.bar ?? (options.write === undefined && process.stderr.isTTY === true);
  const seconds: Record<string, number> = {};
  return {
    seconds,
    async step(name, run) {
      const started = performance.now();
      if (!bar) write(`[train] ${name} ...`);
      try {
        return await run();
      } finally {
        const s = (performance.now() - started) / 1000;
        seconds[name] = (seconds[name] ?? 0) + s;
        write(`[train] ${name}: ${s.toFixed(2)} s`);
      }
    },
    counter(name, total) {
      if (bar) {
        const b = new cliProgress.SingleBar(
          { format: `${name} [{bar}] {value}/{total} {label}`, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        b.start(total, 0, { label: "" });
        return {
          tick: (label) => b.increment(1, { label: label ?? "" }),
          note: (label) => b.update({ label }),
          stop: () => b.stop(),
        };
      }
      let done = 0;
      const now = options.now ?? Date.now;
      let noted = now();
      return {
        tick: (label) => {
          noted = now();
          write(`[train]   ${name} ${++done}/${total}${label ? ` ${label}` : ""}`);
        },
        note: (label) => {
          if (now() - noted < NOTE_EVERY_MS) return;
          noted = now();
          write(`[train]   ${name} ${done}/${total}, ${label}`);
        },
        stop: () => {},
      };
    },
    info: (message) => write(`[train] ${message}`),
    warn: (message) => write(`[train] WARNING: ${message}`),
  };
}
