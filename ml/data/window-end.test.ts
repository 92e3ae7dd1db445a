// --window-end is refused after today in the shop's zone (--timezone), as the log's days are read:
// in UTC, a Los Angeles shop at 19:36 local (03:36 UTC the next day) could end its window tomorrow.
import { expect, test } from "bun:test";
import { isoDateToDay } from "@pp/shared/calendar/iso-date.ts";
import { refuseFutureWindowEnd } from "./transaction-log.ts";

const now = new Date("2026-12-06T03:36:00Z"); // 2026-12-05 19:36 in Los Angeles
const day = isoDateToDay;

test("a window ending tomorrow in the shop's zone is refused, naming the zone's today", () => {
  expect(() => refuseFutureWindowEnd(day("2026-12-06"), now, "America/Los_Angeles")).toThrow(
    "--window-end 2026-12-06 is in the future (today is 2026-12-05 in America/Los_Angeles)",
  );
  expect(() => refuseFutureWindowEnd(day("2026-12-05"), now, "America/Los_Angeles")).not.toThrow();
  // East of UTC the shop's today is already the next day.
  expect(() => refuseFutureWindowEnd(day("2026-12-06"), now, "Asia/Tokyo")).not.toThrow();
  expect(() => refuseFutureWindowEnd(day("2026-12-07"), now, "Asia/Tokyo")).toThrow(
    "(today is 2026-12-06 in Asia/Tokyo)",
  );
});

test("without a zone, today is UTC's", () => {
  expect(() => refuseFutureWindowEnd(day("2026-12-06"), now)).not.toThrow();
  expect(() => refuseFutureWindowEnd(day("2026-12-07"), now)).toThrow(
    "--window-end 2026-12-07 is in the future (today is 2026-12-06): no purchases after today",
  );
});
