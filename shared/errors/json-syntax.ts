// Where and why a request body is not JSON, in words of our own. JSON.parse's message is the
// engine's: the same body `{"horizon":` was "JSON Parse error: Unexpected EOF" on Bun and
// "Unexpected end of JSON input" on Node, Deno and workerd (V8), so one request got four 400s
// that differed by runtime, and Bun's named no position. Run only after JSON.parse has refused a
// body (a linear scan; containers on an explicit stack, so any nesting depth is fine).

type Expect = "value" | "value-or-close" | "key" | "key-or-close" | "colon" | "after";

interface Scan {
  readonly text: string;
  at: number;
  /** The open containers, innermost last: "{" or "[". */
  readonly open: string[];
}

/** Thrown inside the scan: the offset of the problem and what it is. */
class Problem {
  constructor(
    readonly at: number,
    readonly what: string,
  ) {}
}

const isSpace = (ch: string) => ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
const isDigit = (ch: string | undefined) => ch !== undefined && ch >= "0" && ch <= "9";

/** The character at `at` for a message: quoted as JSON writes it (control characters escaped). */
function shown(text: string, at: number): string {
  const code = text.codePointAt(at) ?? 0;
  return JSON.stringify(String.fromCodePoint(code));
}

function unexpected(s: Scan, context = ""): Problem {
  if (s.at >= s.text.length) return new Problem(s.at, "unexpected end of input");
  return new Problem(s.at, `unexpected ${shown(s.text, s.at)}${context}`);
}

function skipSpace(s: Scan): void {
  while (s.at < s.text.length && isSpace(s.text[s.at] as string)) s.at++;
}

const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** A string from its opening quote (at `s.at`) past its closing one. */
function scanString(s: Scan): void {
  const { text } = s;
  for (s.at++; s.at < text.length; s.at++) {
    const ch = text[s.at] as string;
    if (ch === '"') {
      s.at++;
      return;
    }
    if (ch < " ") {
      throw new Problem(s.at, `unescaped control character ${shown(text, s.at)} in a string`);
    }
    if (ch !== "\\") continue;
    const escaped = text[s.at + 1];
    if (escaped === "u") {
      for (let k = 2; k < 6; k++) {
        if (!/[0-9a-fA-F]/.test(text[s.at + k] ?? "")) {
          s.at += k;
          throw unexpected(s, " in a \\u escape (four hex digits)");
        }
      }
      s.at += 5;
    } else if (escaped !== undefined && ESCAPES.has(escaped)) {
      s.at++;
    } else {
      s.at++;
      throw unexpected(s, " after a backslash in a string");
    }
  }
  throw unexpected(s);
}

function digits(s: Scan, after: string): void {
  if (!isDigit(s.text[s.at])) throw unexpected(s, ` ${after}`);
  while (isDigit(s.text[s.at])) s.at++;
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? from `s.at`. */
function scanNumber(s: Scan): void {
  const { text } = s;
  if (text[s.at] === "-") s.at++;
  if (text[s.at] === "0") s.at++;
  else digits(s, "in a number");
  if (text[s.at] === ".") {
    s.at++;
    digits(s, "after a decimal point");
  }
  if (text[s.at] === "e" || text[s.at] === "E") {
    s.at++;
    if (text[s.at] === "+" || text[s.at] === "-") s.at++;
    digits(s, "in an exponent");
  }
}

function scanLiteral(s: Scan, word: string): void {
  for (const ch of word) {
    if (s.text[s.at] !== ch) throw unexpected(s);
    s.at++;
  }
}

/** One value starting at `s.at`: scalars are consumed, containers opened. */
function scanValue(s: Scan): Expect {
  const ch = s.text[s.at];
  if (ch === "{" || ch === "[") {
    s.open.push(ch);
    s.at++;
    return ch === "{" ? "key-or-close" : "value-or-close";
  }
  if (ch === '"') scanString(s);
  else if (ch === "-" || isDigit(ch)) scanNumber(s);
  else if (ch === "t") scanLiteral(s, "true");
  else if (ch === "f") scanLiteral(s, "false");
  else if (ch === "n") scanLiteral(s, "null");
  else throw unexpected(s);
  return "after";
}

/** After a value: a comma, the close of its container, or (at the top) the end. */
function scanAfter(s: Scan): Expect | "done" {
  const inside = s.open.at(-1);
  const ch = s.text[s.at];
  if (inside === undefined) {
    if (s.at >= s.text.length) return "done";
    throw unexpected(s, " after the JSON value");
  }
  if (ch === ",") {
    s.at++;
    return inside === "{" ? "key" : "value";
  }
  if (ch === (inside === "{" ? "}" : "]")) {
    s.open.pop();
    s.at++;
    return "after";
  }
  throw unexpected(s, inside === "{" ? ' (expected "," or "}")' : ' (expected "," or "]")');
}

function step(s: Scan, expect: Expect): Expect | "done" {
  skipSpace(s);
  const ch = s.text[s.at];
  switch (expect) {
    case "value-or-close":
    case "key-or-close":
      if (ch === (expect === "key-or-close" ? "}" : "]")) {
        s.open.pop();
        s.at++;
        return "after";
      }
      return step(s, expect === "key-or-close" ? "key" : "value");
    case "key":
      if (ch !== '"') throw unexpected(s, " (expected a property name in double quotes)");
      scanString(s);
      return "colon";
    case "colon":
      if (ch !== ":") throw unexpected(s, ' (expected ":")');
      s.at++;
      return "value";
    case "value":
      if (ch === undefined) throw unexpected(s);
      return scanValue(s);
    case "after":
      return scanAfter(s);
  }
}

/** `offset` as "line L, column C" (both from 1; columns count UTF-16 code units). */
function place(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/**
 * Why `text` is not JSON and where, the same on every runtime: `unexpected end of input at line
 * 1, column 12`, `unexpected "}" (expected a property name in double quotes) at line 3, column 1`.
 */
export function jsonSyntaxProblem(text: string): string {
  const s: Scan = { text, at: 0, open: [] };
  try {
    for (let expect: Expect | "done" = "value"; expect !== "done"; ) expect = step(s, expect);
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    return `${err.what} at ${place(text, err.at)}`;
  }
  // JSON.parse refused what this scan accepts: no place to name (not seen; kept as a guard).
  return "not a JSON value";
}
