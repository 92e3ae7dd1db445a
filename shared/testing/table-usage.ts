// Which database tables a TypeScript source uses: the Drizzle table objects it imports as values
// (or names through a schema namespace) and the tables its SQL text names. For table-owners.test.ts.

/** Table name → the name of its Drizzle object, as schema.ts declares them. */
export function declaredTables(schemaSource: string): Map<string, string> {
  const tables = new Map<string, string>();
  for (const m of schemaSource.matchAll(/export const (\w+)\s*=\s*pgTable\(\s*"(\w+)"/g)) {
    tables.set(m[2] as string, m[1] as string);
  }
  return tables;
}

/** The text of every string and template literal of a source (comments dropped). */
function literals(source: string): string[] {
  const out: string[] = [];
  const templates: { text: string; depth: number }[] = [];
  let i = 0;
  const n = source.length;
  const quoted = (q: string) => {
    let text = "";
    for (i++; i < n && source[i] !== q && source[i] !== "\n"; i++) {
      if (source[i] === "\\") i++;
      text += source[i];
    }
    out.push(text);
  };
  let inCode = true;
  let depth = 0;
  while (i < n) {
    const c = source[i] as string;
    const top = templates[templates.length - 1];
    if (!inCode && top) {
      // Inside a template's text: until its end or a `${`.
      if (c === "\\") top.text += source[++i] ?? "";
      else if (c === "`") {
        out.push(top.text);
        templates.pop();
        inCode = true;
      } else if (c === "$" && source[i + 1] === "{") {
        top.depth = depth;
        depth++;
        inCode = true;
        i++;
      } else top.text += c;
      i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      quoted(c);
      i++;
    } else if (c === "`") {
      templates.push({ text: "", depth: -1 });
      inCode = false;
      i++;
    } else {
      if (c === "{") depth++;
      if (c === "}") {
        depth--;
        const open = templates[templates.length - 1];
        if (open && open.depth === depth) {
          open.text += " ? "; // where the interpolation stood
          inCode = false;
        }
      }
      i++;
    }
  }
  return out;
}

const SQL_STATEMENT = /\b(select|insert|update|delete|copy|truncate|alter|create)\b/i;

/** The tables a source names: Drizzle objects it imports as values, tables in its SQL text. */
export function tablesUsed(source: string, tables: Map<string, string>): Set<string> {
  const used = new Set<string>();
  const objectToTable = new Map([...tables].map(([table, object]) => [object, table]));
  const schemaImport = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*["'][^"']*db\/schema(\.ts)?["']/g;
  for (const m of source.matchAll(schemaImport)) {
    if (m[1]) continue; // `import type { … }`: types only, no query
    for (const part of (m[2] as string).split(",")) {
      const name = part.trim();
      if (name.startsWith("type ")) continue;
      const table = objectToTable.get(name.split(/\s+as\s+/)[0] as string);
      if (table) used.add(table);
    }
  }
  for (const m of source.matchAll(/\bschema\.(\w+)/g)) {
    const table = objectToTable.get(m[1] as string);
    if (table) used.add(table);
  }
  for (const text of literals(source)) {
    if (!SQL_STATEMENT.test(text)) continue;
    for (const table of tables.keys()) {
      const named = new RegExp(`\\b(from|into|update|join|table|truncate)\\s+"?${table}"?\\b`, "i");
      if (named.test(text)) used.add(table);
    }
  }
  return used;
}
