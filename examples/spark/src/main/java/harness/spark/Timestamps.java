package harness.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict ISO 8601 / RFC 3339 event times, the grammar docs/external-pipeline.md's rules take: a date
 * (YYYY-MM-DD or an expanded +-YYYYYY year), optionally T/t/space and hh:mm[:ss[.fraction]], and a
 * zone (Z, +hh, +hhmm, +hh:mm; none means UTC). Every component in its calendar range (no
 * 2026-02-30, no leap second). Digits past the millisecond are dropped.
 */
final class Timestamps {
  private Timestamps() {}

  private static final Pattern ISO = Pattern.compile(
      "^([+-]\\d{6}|\\d{4})-(\\d{2})-(\\d{2})(?:[Tt ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)?([Zz]|[+-]\\d{2}(?::?\\d{2})?)?)?$");
  private static final long DAY_MS = 86_400_000L;

  /** Epoch ms, possibly beyond any column's range (the bounds are Values' business), or null when it is no timestamp. */
  static Long parse(String text) {
    Matcher m = ISO.matcher(text);
    if (!m.matches()) return null;
    if (m.group(1).equals("-000000")) return null;
    long year = Long.parseLong(m.group(1).startsWith("+") ? m.group(1).substring(1) : m.group(1));
    int month = Integer.parseInt(m.group(2));
    int day = Integer.parseInt(m.group(3));
    int hour = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
    int minute = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
    int second = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
    if (hour > 23 || minute > 59 || second > 59) return null;
    String fraction = m.group(7);
    int millis = fraction == null ? 0 : Integer.parseInt((fraction + "00").substring(0, 3));
    int offsetMinutes = 0;
    String zone = m.group(8);
    if (zone != null && !zone.equalsIgnoreCase("Z")) {
      String digits = zone.substring(1).replace(":", "");
      int zoneHours = Integer.parseInt(digits.substring(0, 2));
      int zoneMinutes = digits.length() > 2 ? Integer.parseInt(digits.substring(2)) : 0;
      if (zoneHours > 23 || zoneMinutes > 59) return null;
      offsetMinutes = (zone.charAt(0) == '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
    }
    return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60L + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  }

  private static boolean isLeap(long year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  }

  private static int daysInMonth(long year, int month) {
    return month == 2 ? (isLeap(year) ? 29 : 28) : new int[] {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month - 1];
  }

  /** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
  private static long daysFromCivil(long year, int month, int day) {
    long y = month <= 2 ? year - 1 : year;
    long era = Math.floorDiv(y, 400);
    long yoe = y - era * 400;
    long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146_097 + doe - 719_468;
  }
}
