// Counter, Gauge and Histogram: labelled series kept in maps keyed by their label values.
// Portable (no prom-client: it imports Node-only modules that workerd and Deno lack).
import {
  assertLabelName,
  assertMetricName,
  escapeHelp,
  formatLabels,
  formatValue,
} from "./exposition.ts";

type MetricType = "counter" | "gauge" | "histogram";
export type LabelValues<L extends string> = { readonly [K in L]: string | number };

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

interface Series<T> {
  labelValues: string[];
  value: T;
}

abstract class Metric<L extends string, T> {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly series = new Map<string, Series<T>>();
  /** Bumped by reset(): a bound series (bind) then looks itself up again. */
  protected generation = 0;

  constructor(options: MetricOptions<L>) {
    assertMetricName(options.name);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    for (const label of this.labelNames) assertLabelName(label);
    if (new Set(this.labelNames).size !== this.labelNames.length) {
      throw new Error(`Duplicate label names on metric "${this.name}"`);
    }
  }

  /** Label values in declared order; a missing or unknown label is a programming error. */
  protected labelValuesOf(labels: Partial<LabelValues<L>> | undefined): string[] {
    const given: Partial<Record<string, string | number>> = labels ?? {};
    const keys = Object.keys(given);
    if (
      keys.length !== this.labelNames.length ||
      keys.some((k) => !this.labelNames.includes(k as L))
    ) {
      throw new Error(
        `Metric "${this.name}" needs labels [${this.labelNames.join(", ")}], got [${keys.join(", ")}]`,
      );
    }
    return this.labelNames.map((name) => String(given[name]));
  }

  protected seriesFor(labels: Partial<LabelValues<L>> | undefined, initial: () => T): Series<T> {
    const key = this.keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labelValues: this.labelValuesOf(labels), value: initial() };
      this.series.set(key, entry);
    }
    return entry;
  }

  /**
   * One series, its labels checked now and looked up once (for a per-request hot path): created
   * on first use, as by `seriesFor`, and looked up again after a reset().
   */
  protected bindSeries(
    labels: Partial<LabelValues<L>> | undefined,
    initial: () => T,
  ): () => Series<T> {
    this.labelValuesOf(labels); // a wrong label set fails here, not at the first use
    let entry: Series<T> | null = null;
    let generation = this.generation;
    return () => {
      if (entry === null || generation !== this.generation) {
        entry = this.seriesFor(labels, initial);
        generation = this.generation;
      }
      return entry;
    };
  }

  /**
   * The series key (label values joined by NUL), checked like `labelValuesOf`. Metrics are
   * updated on every request: the common no-label and one-label cases build no arrays.
   */
  private keyOf(labels: Partial<LabelValues<L>> | undefined): string {
    const names = this.labelNames;
    if (names.length <= 1 && labels !== undefined) {
      let count = 0;
      for (const _ in labels) count++;
      const value = names.length === 1 ? labels[names[0] as L] : undefined;
      if (count === names.length && (names.length === 0 || value !== undefined)) {
        return names.length === 0 ? "" : String(value);
      }
    }
    return this.labelValuesOf(labels).join("\u0000");
  }

  protected header(): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
  }

  reset(): void {
    this.series.clear();
    this.generation++;
  }

  /** The metric's lines in text exposition format. */
  abstract expose(): string[];
}

abstract class ScalarMetric<L extends string> extends Metric<L, number> {
  get(labels?: LabelValues<L>): number {
    const key = this.labelValuesOf(labels).join("\u0000");
    return this.series.get(key)?.value ?? 0;
  }

  expose(): string[] {
    const lines = this.header();
    // An unlabelled metric is always shown, so that dashboards see 0 rather than nothing.
    if (this.labelNames.length === 0 && this.series.size === 0) lines.push(`${this.name} 0`);
    for (const { labelValues, value } of this.series.values()) {
      lines.push(`${this.name}${formatLabels(this.labelNames, labelValues)} ${formatValue(value)}`);
    }
    return lines;
  }
}

export class Counter<L extends string = never> extends ScalarMetric<L> {
  readonly type = "counter";

  inc(labels?: LabelValues<L>, amount = 1): void {
    this.checkIncrease(amount);
    this.seriesFor(labels, () => 0).value += amount;
  }

  /** One series, bound as Histogram.bind binds one. */
  bind(labels: LabelValues<L> | undefined): BoundCounter {
    const series = this.bindSeries(labels, () => 0);
    return {
      inc: (amount = 1) => {
        this.checkIncrease(amount);
        series().value += amount;
      },
    };
  }

  private checkIncrease(amount: number): void {
    if (!(amount >= 0))
      throw new Error(`Counter "${this.name}" cannot decrease (inc by ${amount})`);
  }
}

/** One series of a counter (Counter.bind). */
export interface BoundCounter {
  inc(amount?: number): void;
}

export class Gauge<L extends string = never> extends ScalarMetric<L> {
  readonly type = "gauge";

  set(labels: LabelValues<L> | undefined, value: number): void {
    this.seriesFor(labels, () => 0).value = value;
  }

  inc(labels?: LabelValues<L>, amount = 1): void {
    this.seriesFor(labels, () => 0).value += amount;
  }

  dec(labels?: LabelValues<L>, amount = 1): void {
    this.seriesFor(labels, () => 0).value -= amount;
  }
}

/** Seconds; suits HTTP latencies from sub-millisecond to a minute (a batch may wait 20-30 s). */
const defaultBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

interface HistogramState {
  counts: Float64Array; // per bucket, not cumulative
  sum: number;
  count: number;
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  buckets?: readonly number[];
}

/** One series of a histogram (Histogram.bind). */
export interface BoundHistogram {
  observe(value: number): void;
  observeAll(values: ArrayLike<number>): void;
}

export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  constructor(options: HistogramOptions<L>) {
    super(options);
    if ((this.labelNames as readonly string[]).includes("le")) {
      throw new Error(`Histogram "${this.name}" cannot use the label name "le"`);
    }
    const buckets = [...(options.buckets ?? defaultBuckets)].filter((b) => b !== Infinity);
    buckets.forEach((bound, i) => {
      const previous = buckets[i - 1];
      if (!Number.isFinite(bound) || (previous !== undefined && bound <= previous)) {
        throw new Error(`Histogram "${this.name}" buckets must be finite and increasing`);
      }
    });
    this.buckets = buckets;
  }

  private newState(): HistogramState {
    return { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
  }

  private stateFor(labels: LabelValues<L> | undefined): HistogramState {
    return this.seriesFor(labels, () => this.newState()).value;
  }

  private record(state: HistogramState, value: number): void {
    if (Number.isNaN(value)) return;
    const { buckets } = this;
    // Upper bounds are inclusive (le); values above the last bound only count in +Inf.
    for (let i = 0; i < buckets.length; i++) {
      if (value <= (buckets[i] ?? Number.POSITIVE_INFINITY)) {
        state.counts[i] = (state.counts[i] ?? 0) + 1;
        break;
      }
    }
    state.sum += value;
    state.count++;
  }

  observe(labels: LabelValues<L> | undefined, value: number): void {
    this.record(this.stateFor(labels), value);
  }

  /** `observe` for every value of a column under one label set: the series is looked up once. */
  observeAll(labels: LabelValues<L> | undefined, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    const state = this.stateFor(labels);
    for (let j = 0; j < values.length; j++) this.record(state, values[j] ?? Number.NaN);
  }

  /**
   * One series, its labels checked and looked up once (for a per-request hot path). It is created
   * on its first observation, as with `observe`, and looked up again after a reset().
   */
  bind(labels: LabelValues<L> | undefined): BoundHistogram {
    const series = this.bindSeries(labels, () => this.newState());
    return {
      observe: (value) => this.record(series().value, value),
      observeAll: (values) => {
        if (values.length === 0) return;
        const s = series().value;
        for (let j = 0; j < values.length; j++) this.record(s, values[j] ?? Number.NaN);
      },
    };
  }

  /** Count and sum of one series (for tests and summaries). */
  get(labels?: LabelValues<L>): { count: number; sum: number } {
    const key = this.labelValuesOf(labels).join("\u0000");
    const state = this.series.get(key)?.value;
    return { count: state?.count ?? 0, sum: state?.sum ?? 0 };
  }

  expose(): string[] {
    const lines = this.header();
    const names = [...this.labelNames, "le"];
    for (const { labelValues, value } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += value.counts[i] ?? 0;
        const le = formatValue(bound);
        lines.push(`${this.name}_bucket${formatLabels(names, [...labelValues, le])} ${cumulative}`);
      });
      lines.push(
        `${this.name}_bucket${formatLabels(names, [...labelValues, "+Inf"])} ${value.count}`,
      );
      const own = formatLabels(this.labelNames, labelValues);
      lines.push(`${this.name}_sum${own} ${formatValue(value.sum)}`);
      lines.push(`${this.name}_count${own} ${value.count}`);
    }
    return lines;
  }
}

export type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;
