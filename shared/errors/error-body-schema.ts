// The shared error body `{"error": {"code", "message", "details"?}}` as a zod schema (documents).
import * as z from "zod";
import { type ErrorCode, errorStatus } from "./error-codes.ts";

/** One field at fault (a 400's or 422's details list them). */
const fieldIssueSchema = z.object({ path: z.string(), message: z.string() });

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    // The fields at fault for a 400/409/422; other errors say more in an object of their own
    // (a 405's method and allowed methods, a 503's readiness checks or forecast reason).
    details: z.union([z.array(fieldIssueSchema), z.record(z.string(), z.unknown())]).optional(),
  }),
});
