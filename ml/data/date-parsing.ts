// Fast, allocation-free parsing of calendar dates into day numbers (days since 1970-01-01, UTC),
// the representation the TransactionLog stores. Runtime-neutral.

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function civilToDay(year: number, month: number, dayOfMonth: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + dayOfMonth - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Value of `length` ASCII digits starting at `from`, or -1 when one is not a digit. */
function digits(s: string, from: number, length: number): number {
  let v = 0;
  for (let i = from; i < from + length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function validDay(y: number, m: number, d: number): number {
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return Number.NaN;
  return civilToDay(y, m, d);
}

/** `YYYYMMDD` → day number, NaN when malformed or not a real date. */
export function parseYyyymmdd(s: string): number {
  if (s.length !== 8) return Number.NaN;
  return validDay(digits(s, 0, 4), digits(s, 4, 2), digits(s, 6, 2));
}
