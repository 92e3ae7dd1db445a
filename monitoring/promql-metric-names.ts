// The metric names a PromQL expression reads, for checking dashboards and alert rules against what
// the services export. A lexical pass, enough for the expressions we write: strings, label
// matchers, ranges, grouping clauses, offsets, numbers, keywords and function calls are removed;
// the identifiers left are metric (or recording-rule) names.

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "and",
  "or",
  "unless",
  "atan2",
  "inf",
  "nan",
]);

export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    // Grafana variables: $__rate_interval, ${var}, $var.
    .replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, " ")
    // String literals (label values, format strings), then label matchers.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    // Range and subquery selectors, offsets, and the label lists of grouping and matching clauses.
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\boffset\s+-?[0-9a-z]+/gi, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    // Numbers, including 1e3, 0x1f and durations left over.
    .replace(/(?<![A-Za-z0-9_:])(0x[0-9a-f]+|[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?[a-z]*)/gi, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const [token, call] = [match[0].replace(/\s*\($/, ""), match[1]];
    if (call) continue; // a function or an aggregation
    if (KEYWORDS.has(token.toLowerCase())) continue;
    names.add(token);
  }
  return [...names];
}
