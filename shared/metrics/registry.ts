// MetricsRegistry: owns a service's metrics and renders them for `GET /metrics`.
import { exposureContentType } from "./exposition.ts";
import {
  type AnyMetric,
  Counter,
  Gauge,
  Histogram,
  type HistogramOptions,
  type MetricOptions,
} from "./metric.ts";

export class MetricsRegistry {
  readonly contentType = exposureContentType;
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly collectors: Array<() => void> = [];

  /** Returns the counter `name`, creating it on first use (same labels required). */
  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.getOrCreate(options, "counter", () => new Counter<L>(options)) as Counter<L>;
  }

  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    return this.getOrCreate(options, "gauge", () => new Gauge<L>(options)) as Gauge<L>;
  }

  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.getOrCreate(options, "histogram", () => new Histogram<L>(options)) as Histogram<L>;
  }

  /** Runs before each exposition, e.g. to set a gauge from the current state (model age). */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name);
  }

  /** All metrics in text exposition format 0.0.4. */
  expose(): string {
    for (const collect of this.collectors) collect();
    const lines: string[] = [];
    for (const metric of this.metrics.values()) lines.push(...metric.expose());
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  private getOrCreate<L extends string>(
    options: MetricOptions<L>,
    type: AnyMetric["type"],
    create: () => AnyMetric,
  ): AnyMetric {
    const existing = this.metrics.get(options.name);
    if (existing) {
      const labels = options.labelNames ?? [];
      const same =
        existing.type === type &&
        existing.labelNames.length === labels.length &&
        existing.labelNames.every((l, i) => l === labels[i]);
      if (!same) throw new Error(`Metric "${options.name}" is already registered differently`);
      return existing;
    }
    const metric = create();
    this.metrics.set(options.name, metric);
    return metric;
  }
}
