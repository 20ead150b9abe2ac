/**
 * Strict ISO 8601 / RFC 3339 timestamps. `Date.parse` is no validator: V8 reads "1" as 2001-01-01,
 * rolls "2026-02-30" over to March 2, and reads a time without a zone in the machine's zone. The
 * grammar accepted here:
 *
 *   date         YYYY-MM-DD, or an expanded year +YYYYYY-MM-DD / -YYYYYY-MM-DD (not -000000)
 *   date-time    date, then T, t or a space, then hh:mm, hh:mm:ss or hh:mm:ss.fraction (. or ,)
 *   zone         Z, z, +hh, +hhmm or +hh:mm (or -); none means UTC, whatever the machine's zone
 *
 * with every component in its calendar range: month 1-12, the day within its month (leap years
 * Gregorian, proleptic), hours 0-23, minutes and seconds 0-59 (no leap second, no 24:00), zone
 * hours 0-23. Digits past the millisecond are dropped, as Date.parse does. Whether the instant fits
 * the column (years 1-9999) is the declared output's business (checkRow), not the parser's.
 */
const ISO = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

const DAY_MS = 86_400_000;

/** Epoch ms of a strict ISO 8601 timestamp (possibly beyond Date's range), or null when it is none. */
export function parseTimestamp(text: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction, zone] = m;
  if (yearText === '-000000') return null;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  const hour = Number(hourText ?? 0);
  const minute = Number(minuteText ?? 0);
  const second = Number(secondText ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const zoneHours = Number(digits.slice(0, 2));
    const zoneMinutes = Number(digits.slice(2) || 0);
    if (zoneHours > 23 || zoneMinutes > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
}

/** An epoch ms for a message: ISO 8601 when Date can show it, the number otherwise (never throws). */
export function describeTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeap(year) ? 29 : 28) : ([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number);
}

/** Days from 1970-01-01 to a proleptic Gregorian date, for any year (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
