// The calendar day (days since 1970-01-01) of an instant in an IANA time zone: a decision's day
// in the shop's zone, so that it compares with purchase days read with --timezone.

const DAY_MS = 86_400_000;

/** What to pass instead of an unknown --timezone (the log reader says it too). */
export const TIME_ZONE_HINT = "pass an IANA name such as Europe/London or America/New_York";

// One formatter per zone: making one costs about 50 µs, a campaign has one per decision.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    const fields = { year: "numeric", month: "2-digit", day: "2-digit" } as const;
    try {
      f = new Intl.DateTimeFormat("en-CA", { timeZone, ...fields });
    } catch {
      // As the log reader says it: the decisions are read first, so this is the first to know.
      throw new RangeError(`--timezone: unknown time zone "${timeZone}"; ${TIME_ZONE_HINT}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Day number of `at` in `timeZone` (UTC when omitted); the process's own zone is never used. */
export function zonedDay(at: Date, timeZone = "UTC"): number {
  if (timeZone === "UTC") return Math.floor(at.getTime() / DAY_MS);
  const parts = formatterOf(timeZone).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Math.floor(Date.UTC(part("year"), part("month") - 1, part("day")) / DAY_MS);
}
