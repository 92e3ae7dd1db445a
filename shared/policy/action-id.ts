// An action's id: how /decision's actions name themselves, and how a new policy names them (rule
// scopes, `default_action`, the keys of `uplifts`). One rule for both: a policy naming an id no
// request can carry ("EMAIL-10PCT", "email-10pct ") matched nothing, and its fallback chose
// `none` without a word. Ids are matched exactly, case included, in Unicode's composed form (NFC).
import * as z from "zod";
import { nfcCustomerId } from "../contracts/forecast-request.ts";

/** Doing nothing: always weighed, never listed. */
export const NO_ACTION = "none";
export const MAX_ACTION_ID_CHARS = 128;

/** Text-direction controls: "\u202eenon" displays as "none" in logs and campaign pages. */
const DIRECTION_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * An action id in Unicode's composed form (NFC), the customer ids' rule: "café" typed on a Mac
 * (e + U+0301) was another action than "café" composed, so a policy's rule or uplift for it did
 * not apply to the request's action. ASCII ids are their own NFC.
 */
export const nfcActionId = nfcCustomerId;

/** An action id; `allowNone` takes "none" itself (a policy's default action may be none). */
export function actionIdSchema(options: { allowNone?: boolean } = {}) {
  return (
    z
      .string()
      .overwrite(nfcActionId)
      .min(1, { error: "must be a non-empty string" })
      .max(MAX_ACTION_ID_CHARS)
      .refine((id) => options.allowNone === true || id !== NO_ACTION, {
        error: `"${NO_ACTION}" is implied; do not list it`,
      })
      // "NONE" and "none " were chosen and logged as actions that read as no action.
      .refine((id) => id === NO_ACTION || id.trim().toLowerCase() !== NO_ACTION, {
        error: `reads as "${NO_ACTION}", which is implied: do not list it, or name the action otherwise`,
      })
      .refine((id) => id.trim() === id, { error: "must not start or end with spaces" })
      .refine((id) => !DIRECTION_CONTROLS.test(id), {
        error: "must not hold text-direction controls (they make one id display as another)",
      })
  );
}
