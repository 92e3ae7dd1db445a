// A strict reader of the Prometheus text format, for tests that check what /metrics serves
// (shape, escaping, values) rather than trusting the writer that produced it.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const metricName = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const sampleLine = new RegExp(`^(${metricName})(\\{.*\\})?\\s+(\\S+)(\\s+-?\\d+)?$`);
const labelPair = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/;
const metricTypes = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function parseValue(text: string, lineNo: number): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`line ${lineNo}: bad value "${text}"`);
  return value;
}

function parseLabels(block: string, lineNo: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = block.slice(1, -1);
  while (rest.trim() !== "") {
    const match = labelPair.exec(rest);
    if (!match) throw new Error(`line ${lineNo}: bad labels "${block}"`);
    const [whole, name, value] = match as unknown as [string, string, string];
    if (name in labels) throw new Error(`line ${lineNo}: label "${name}" repeated`);
    labels[name] = unescapeLabel(value);
    rest = rest.slice(whole.length);
  }
  return labels;
}

/** The metric family a sample belongs to (`x_bucket` → `x` when `x` is a histogram). */
export function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (
      name.endsWith(suffix) &&
      (types.get(base) === "histogram" || types.get(base) === "summary")
    ) {
      return base;
    }
  }
  return name;
}

export function parseExposition(text: string): ParsedExposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  text.split("\n").forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!meta) return; // plain comment
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === "TYPE") {
        if (!metricTypes.has(rest)) throw new Error(`line ${lineNo}: unknown type "${rest}"`);
        if (types.has(name)) throw new Error(`line ${lineNo}: second TYPE for ${name}`);
        types.set(name, rest);
      } else {
        help.set(name, rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\"));
      }
      return;
    }
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`line ${lineNo}: not a sample: "${line}"`);
    const [, name, labelBlock, value] = match as unknown as [string, string, string?, string?];
    samples.push({
      name,
      labels: labelBlock ? parseLabels(labelBlock, lineNo) : {},
      value: parseValue(value ?? "", lineNo),
    });
  });
  for (const sample of samples) {
    if (!types.has(familyOf(sample.name, types))) {
      throw new Error(`sample ${sample.name} has no # TYPE line`);
    }
  }
  return { samples, types, help };
}

/** The value of the one sample named `name` whose labels include `labels` (0 when absent). */
export function sampleValue(
  parsed: ParsedExposition,
  name: string,
  labels: Record<string, string>,
): number {
  const matches = parsed.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match`);
  return matches[0]?.value ?? 0;
}
