// Quoting for the few user-given names and values that are spliced into DuckDB SQL (column names,
// file paths, patterns): identifiers in double quotes, strings in single quotes, doubled inside.

export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
