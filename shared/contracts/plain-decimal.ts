// Numbers written as text by people (env variables, CLI options): plain decimal notation only.
// Number() also reads "0x10" as 16, "1e3" as 1000, "0b11" as 3, " " as 0 and "Infinity".

/** `text` as a number if it is written `123`, `-4` or `2.5` (digits, one optional point), else null. */
export function plainDecimalFrom(text: string): number | null {
  return /^-?[0-9]{1,15}(\.[0-9]{1,15})?$/.test(text) ? Number(text) : null;
}

/** `text` as a whole number written in plain decimal (`12`, `-4`; not `2.5`), else null. */
export function plainWholeNumberFrom(text: string): number | null {
  const n = plainDecimalFrom(text);
  return n !== null && Number.isInteger(n) ? n : null;
}
