// How an error message quotes a value the user gave: escaped (NUL, control characters, lone
// surrogates) and cut at 64 characters, so a 5,000-character argument does not bury the one line
// that says what is wrong with it.
export const SHOWN_TEXT_MAX = 64;

/** `value` quoted for a message: JSON-escaped, past SHOWN_TEXT_MAX characters cut and ended "…". */
export function shownText(value: string): string {
  return JSON.stringify(
    value.length > SHOWN_TEXT_MAX ? `${value.slice(0, SHOWN_TEXT_MAX)}…` : value,
  );
}
