// Structured JSON logs: one JSON object per line, written to an injected sink so that tests
// capture lines and every runtime (Bun, Node, Deno, workerd) can print them with console.log.
import { withoutQueryParams } from "./query-params.ts";

export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  sink?: LogSink;
  level?: LogLevel;
  /** Fields on every line, e.g. `{ service: "forecast" }`. */
  fields?: LogFields;
  timestamp?: () => string;
}

export const consoleSink: LogSink = (line) => console.log(line);

/** Errors serialise to `{}` by default; keep what helps debugging. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, ...withoutQueryParams(value) };
    if (value.cause !== undefined) out.cause = value.cause;
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const sink = options.sink ?? consoleSink;
  const level = options.level ?? "info";
  const timestamp = options.timestamp ?? (() => new Date().toISOString());
  const base = options.fields ?? {};

  const write = (lineLevel: LogLevel, msg: string, fields?: LogFields) => {
    if (!writes(level, lineLevel)) return;
    const record = { time: timestamp(), level: lineLevel, msg, ...base, ...fields };
    let line: string;
    try {
      line = JSON.stringify(record, jsonReplacer);
    } catch (err) {
      // A circular field must not take the request down with it.
      line = JSON.stringify({ time: record.time, level: lineLevel, msg, log_error: String(err) });
    }
    sink(line);
  };

  return {
    level,
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => createLogger({ sink, level, timestamp, fields: { ...base, ...fields } }),
  };
}

/** Whether a logger at `level` writes lines of `lineLevel` (its own level and those above it). */
function writes(level: LogLevel, lineLevel: LogLevel): boolean {
  return logLevels.indexOf(lineLevel) >= logLevels.indexOf(level);
}

/** Whether `logger` writes lines of `level`. */
export function logsAt(logger: Logger, level: LogLevel): boolean {
  return writes(logger.level, level);
}

/** `parent.child(fields)`, made on its first line: a request's own logger is most often unused. */
export function deferredChild(parent: Logger, fields: LogFields): Logger {
  return new DeferredChild(parent, fields);
}

class DeferredChild implements Logger {
  readonly #parent: Logger;
  readonly #fields: LogFields;
  #made: Logger | null = null;

  constructor(parent: Logger, fields: LogFields) {
    this.#parent = parent;
    this.#fields = fields;
  }

  get level(): LogLevel {
    return this.#parent.level;
  }

  #child(): Logger {
    this.#made ??= this.#parent.child(this.#fields);
    return this.#made;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#child().debug(msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#child().info(msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#child().warn(msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#child().error(msg, fields);
  }

  child(fields: LogFields): Logger {
    return this.#child().child(fields);
  }
}
