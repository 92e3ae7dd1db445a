// Ids of rows written as text (URL paths, CLI arguments): decimal digits only, within
// PostgreSQL's integer. Number() would also read "0x10" as 16, "1e1" as 10 and "+2" as 2, and
// `POST /admin/keys/0x10/revoke` revoked key 16; key ids and policy versions share this one rule.
import * as z from "zod";

/** The largest value of a PostgreSQL `integer` (serial) column. */
export const DECIMAL_ID_MAX = 2_147_483_647;

/** `text` as an id from 1 to DECIMAL_ID_MAX written in decimal digits without a leading zero, else null. */
export function decimalIdFrom(text: string | undefined): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const id = Number(text);
  return id <= DECIMAL_ID_MAX ? id : null;
}

/** A path or query parameter holding such an id; `what` names it in the 400 ("a key id"). */
export function decimalIdParam(what: string) {
  return z
    .string()
    .meta({
      pattern: "^[1-9][0-9]{0,9}$",
      description: `${what}: decimal digits, 1 to ${DECIMAL_ID_MAX}`,
    })
    .refine((text) => decimalIdFrom(text) !== null, {
      error: `must be ${what}: decimal digits, 1 to ${DECIMAL_ID_MAX}`,
    })
    .transform((text) => decimalIdFrom(text) as number);
}
