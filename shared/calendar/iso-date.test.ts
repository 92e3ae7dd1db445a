// The arithmetic calendar against Date, the reference it replaced, over every month and day
// number (valid or not) of years 0–3000 and of a spread of later years up to 9999.
import { expect, test } from "bun:test";
import { isCalendarDate, isoDateToDay } from "./iso-date.ts";

/** The Date-based versions this module replaced. */
function referenceDay(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return Number.NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  const same =
    back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d;
  return same ? ms / 86_400_000 : Number.NaN;
}
function referenceCalendar(s: string): boolean {
  const d = new Date(`${s.slice(0, 10)}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s.slice(0, 10));
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

test("isoDateToDay and isCalendarDate agree with Date on every month and day of many years", () => {
  const years = [...Array.from({ length: 3001 }, (_, y) => y), 3999, 4000, 4100, 5555, 9996, 9999];
  let checked = 0;
  for (const y of years) {
    for (let mo = 0; mo <= 13; mo++) {
      for (let d = 0; d <= 32; d++) {
        const iso = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}`;
        const [day, expected] = [isoDateToDay(iso), referenceDay(iso)];
        if (!Object.is(day, expected)) throw new Error(`${iso}: ${day}, Date says ${expected}`);
        // Date reads years below 100 as 1900 + year in UTC() only; the string form is exact.
        if (isCalendarDate(iso) !== referenceCalendar(iso)) throw new Error(`${iso} calendar`);
        checked++;
      }
    }
  }
  expect(checked).toBe(years.length * 14 * 33);
});

test("not a date: NaN", () => {
  for (const s of ["", "1997-1-1", "97-01-01", "1997-01-01T00:00", " 1997-01-01", "abcd-ef-gh"]) {
    expect(isoDateToDay(s)).toBeNaN();
  }
  expect(isoDateToDay("1970-01-01")).toBe(0);
  expect(isoDateToDay("1969-12-31")).toBe(-1);
  expect(isoDateToDay("2000-03-01")).toBe(11_017);
});
