// One CSV field as RFC 4180 writes it, for every CSV this package writes (scores, simulated logs),
// and the same for a file people open in a spreadsheet, where a field must not run as a formula.

/**
 * `text` as a CSV field: quoted (quotes doubled) when it holds a quote, a line break or the
 * delimiter, or starts or ends with white space (which some readers trim); else as it is.
 */
export function csvField(text: string, delimiter = ","): string {
  const plain = !/["\r\n]|^\s|\s$/.test(text) && !text.includes(delimiter);
  return plain ? text : `"${text.replaceAll('"', '""')}"`;
}

/** What a spreadsheet takes for a formula's start (OWASP's list): =, +, -, @, a tab, a CR. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A number as a spreadsheet reads one ("-7", "+3.5", "-1e3"): a value, not a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whether a spreadsheet opening the CSV would run `text` as a formula. */
export function formulaLike(text: string): boolean {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text);
}

/**
 * `text` as a CSV field a spreadsheet shows as written: one that would run as a formula
 * (`=HYPERLINK(…)`, `+1+cmd|…`) gets a leading `'`, which spreadsheets read as "text" and hide.
 */
export function spreadsheetField(text: string, delimiter = ","): string {
  return csvField(formulaLike(text) ? `'${text}` : text, delimiter);
}
