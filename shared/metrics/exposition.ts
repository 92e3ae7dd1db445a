// Prometheus text exposition format 0.0.4: name/label rules, escaping and number formatting.
// https://prometheus.io/docs/instrumenting/exposition_formats/

export const exposureContentType = "text/plain; version=0.0.4; charset=utf-8";

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function assertMetricName(name: string): void {
  if (!metricNamePattern.test(name)) throw new Error(`Invalid metric name "${name}"`);
}

export function assertLabelName(name: string): void {
  if (!labelNamePattern.test(name) || name.startsWith("__")) {
    throw new Error(`Invalid label name "${name}"`);
  }
}

/** HELP text: backslash and line feed are escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label values: backslash, double quote and line feed are escaped. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** `{a="1",b="x"}`, or "" when there are no labels. */
export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  const pairs = names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? "")}"`);
  return `{${pairs.join(",")}}`;
}
