// Calendar days of ISO dates (YYYY-MM-DD) by arithmetic, as Date counts them (proleptic Gregorian,
// UTC): run per transaction of a request and per row of a log, where a Date per call showed.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/**
 * Whether `s`, whose first ten characters are YYYY-MM-DD digits (the caller's regex checked
 * them), names a real day: month 1–12 and day within the month.
 */
export function isCalendarDate(s: string): boolean {
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeapYear(Number(s.slice(0, 4))) ? 29 : DAYS_IN_MONTH[month - 1];
  return day <= (days ?? 0);
}

/** Days from 1970-01-01 to year-month-day (Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is exactly a date YYYY-MM-DD naming a real day. */
export function isIsoDate(s: string): boolean {
  return ISO_DATE.test(s) && isCalendarDate(s);
}

/**
 * Days since 1970-01-01 for an ISO date `YYYY-MM-DD` (UTC); NaN when it is not a valid date.
 * Years before 100 are NaN too, as they were when this went through Date.UTC (which reads them
 * as 1900 + year).
 */
export function isoDateToDay(iso: string): number {
  const m = ISO_DATE.exec(iso);
  if (!m || !isCalendarDate(iso)) return Number.NaN;
  const year = Number(m[1]);
  if (year < 100) return Number.NaN;
  return daysFromCivil(year, Number(m[2]), Number(m[3]));
}
