// A `terraform fmt` check without Terraform (not installable here): what fmt would change in
// layout, reported per line. Checked: no tabs, CRLF or trailing spaces; one final newline and no
// runs of blank lines; two-space indentation per open bracket; one space after `=`; and the `=` of
// consecutive single-line attributes aligned one space after the longest name, the rule hclwrite
// applies (a blank line, a comment line, a block or a multi-line value ends such a run).

export interface FormatIssue {
  line: number;
  message: string;
}

/** The line with string contents and a trailing comment blanked, so brackets can be counted. */
function codeOf(line: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (inString) {
      if (c === "\\") {
        out += "  ";
        i++;
      } else if (c === '"') {
        inString = false;
        out += c;
      } else out += " ";
      continue;
    }
    if (c === '"') inString = true;
    if (c === "#" || (c === "/" && line[i + 1] === "/")) break;
    out += c;
  }
  return out;
}

const OPEN = /[{[(]/g;
const CLOSE = /[}\])]/g;
const ATTRIBUTE = /^(\s*)([A-Za-z_][A-Za-z0-9_-]*|"[^"]*")(\s*)=(?!=)(\s*)(.*)$/;

export function checkTerraformFormat(text: string): FormatIssue[] {
  const issues: FormatIssue[] = [];
  if (text.includes("\r")) issues.push({ line: 1, message: "CRLF line endings" });
  if (!text.endsWith("\n") || text.endsWith("\n\n")) {
    issues.push({ line: text.split("\n").length, message: "must end with exactly one newline" });
  }
  const lines = text.replace(/\n$/, "").split("\n");
  let depth = 0;
  let chain: Array<{ line: number; nameEnd: number; equals: number }> = [];
  const closeChain = () => {
    if (chain.length > 0) {
      const want = Math.max(...chain.map((c) => c.nameEnd)) + 1;
      for (const c of chain) {
        if (c.equals !== want) {
          issues.push({
            line: c.line,
            message: `"=" at column ${c.equals + 1}, terraform fmt aligns it at ${want + 1}`,
          });
        }
      }
    }
    chain = [];
  };
  lines.forEach((line, index) => {
    const n = index + 1;
    if (line.includes("\t")) issues.push({ line: n, message: "tab character" });
    if (/\s$/.test(line)) issues.push({ line: n, message: "trailing whitespace" });
    if (line.trim() === "" && index > 0 && (lines[index - 1] as string).trim() === "") {
      issues.push({ line: n, message: "more than one blank line" });
    }
    const code = codeOf(line);
    const opens = (code.match(OPEN) ?? []).length;
    const closes = (code.match(CLOSE) ?? []).length;
    const leadingCloses = (code.trimStart().match(/^[}\])]+/)?.[0] ?? "").length;
    if (line.trim() !== "") {
      const want = 2 * Math.max(0, depth - leadingCloses);
      const have = line.length - line.trimStart().length;
      if (have !== want) {
        issues.push({ line: n, message: `indented ${have} spaces, expected ${want}` });
      }
    }
    const attribute = ATTRIBUTE.exec(line);
    // A complete `name = value` (brackets balanced, a trailing comment allowed) joins the run;
    // a multi-line value (`tags = {`) ends it, as any other line does.
    if (attribute && opens === closes) {
      const [, indent, name, , after] = attribute as unknown as [
        string,
        string,
        string,
        string,
        string,
      ];
      if (after !== " ") issues.push({ line: n, message: 'one space expected after "="' });
      const nameEnd = indent.length + name.length;
      chain.push({ line: n, nameEnd, equals: line.indexOf("=", nameEnd) });
    } else {
      closeChain();
      if (attribute) {
        const [, , , before, after] = attribute as unknown as string[];
        if (before !== " ") issues.push({ line: n, message: 'one space expected before "="' });
        if (after !== " ") issues.push({ line: n, message: 'one space expected after "="' });
      }
    }
    depth += opens - closes;
    if (depth < 0) {
      issues.push({ line: n, message: "more closing than opening brackets" });
      depth = 0;
    }
  });
  closeChain();
  if (depth !== 0) issues.push({ line: lines.length, message: `${depth} unclosed brackets` });
  return issues;
}
