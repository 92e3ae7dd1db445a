// The calendar day (days since 1970-01-01) of an instant in an IANA time zone: a decision's day
// in the shop's zone, so that it compares with purchase days read with --timezone.

const DAY_MS = 86_400_000;

/** Day number of `at` in `timeZone` (UTC when omitted); the process's own zone is never used. */
export function zonedDay(at: Date, timeZone = "UTC"): number {
  if (timeZone === "UTC") return Math.floor(at.getTime() / DAY_MS);
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Math.floor(Date.UTC(part("year"), part("month") - 1, part("day")) / DAY_MS);
}
