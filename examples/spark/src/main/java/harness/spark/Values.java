package harness.spark;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * What docs/external-pipeline.md asks of every value: strict UTF-8, the columns' bounds (text
 * without NUL or lone surrogates, int4, bigint within 2^53, numeric(10,2) below 10^8, float4,
 * timestamps in years 0001-9999) and seed 002's rounding to 2 decimals. A value outside its column
 * is `out_of_range`, decided here rather than by the database refusing a whole batch.
 */
final class Values {
  private Values() {}

  static final long INT_MIN = Integer.MIN_VALUE;
  static final long INT_MAX = Integer.MAX_VALUE;
  static final double SAFE_INTEGER = 9007199254740991d;
  static final double REAL_MAX = 3.4028234663852886e38;
  static final long TIMESTAMP_MIN = Instant.parse("0001-01-01T00:00:00.000Z").toEpochMilli();
  static final long TIMESTAMP_MAX = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();

  /** A record whose value its column cannot hold. */
  static final class OutOfRange extends Exception {
    OutOfRange(String message) {
      super(message, null, false, false);
    }
  }

  /** The bytes as text when they are valid UTF-8 (no overlong forms, no encoded surrogates), else null. */
  static String strictUtf8(byte[] bytes, int from, int to) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, from, to - from))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** [start, end) of a record's text: a leading UTF-8 BOM and one trailing CR are not content (the dead letter keeps them). */
  static int[] recordText(byte[] line) {
    int start = line.length >= 3 && (line[0] & 0xff) == 0xef && (line[1] & 0xff) == 0xbb && (line[2] & 0xff) == 0xbf ? 3 : 0;
    int end = line.length > start && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
    return new int[] {start, end};
  }

  /** JavaScript's String.prototype.trim (the contract's "fields trimmed"): Unicode white space, not the control characters Java's trim() also removes. */
  static String trim(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isJsSpace(s.charAt(start))) start++;
    while (end > start && isJsSpace(s.charAt(end - 1))) end--;
    return s.substring(start, end);
  }

  private static boolean isJsSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == '\u00a0' || c == '\u1680' || (c >= '\u2000' && c <= '\u200a')
        || c == '\u2028' || c == '\u2029' || c == '\u202f' || c == '\u205f' || c == '\u3000' || c == '\ufeff';
  }

  static String text(String field, String value) throws OutOfRange {
    if (value.indexOf('\u0000') >= 0) throw new OutOfRange(field + " " + preview(value) + " contains NUL (U+0000)");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) i++;
        else throw new OutOfRange(field + " " + preview(value) + " contains a lone UTF-16 surrogate");
      } else if (Character.isLowSurrogate(c)) {
        throw new OutOfRange(field + " " + preview(value) + " contains a lone UTF-16 surrogate");
      }
    }
    return value;
  }

  static boolean isWhole(double value) {
    return Double.isFinite(value) && Math.rint(value) == value;
  }

  static int integer(String field, double value) throws OutOfRange {
    if (!isWhole(value)) throw new OutOfRange(field + " " + value + " is not a whole number");
    if (value < INT_MIN || value > INT_MAX) throw new OutOfRange(field + " " + value + " is outside integer (" + INT_MIN + " .. " + INT_MAX + ")");
    return (int) value;
  }

  static long bigint(String field, double value) throws OutOfRange {
    if (!isWhole(value)) throw new OutOfRange(field + " " + value + " is not a whole number");
    if (Math.abs(value) > SAFE_INTEGER) throw new OutOfRange(field + " " + value + " is outside bigint as the contract holds it (+-(2^53-1))");
    return (long) value;
  }

  static double real(String field, double value) throws OutOfRange {
    if (!Double.isFinite(value)) throw new OutOfRange(field + " " + value + " is not a finite number");
    if (Math.abs(value) > REAL_MAX) throw new OutOfRange(field + " " + value + " is beyond real (float4)");
    if (value != 0 && (float) value == 0f) throw new OutOfRange(field + " " + value + " is too small for real (float4)");
    return value;
  }

  static long timestamp(String field, double ms) throws OutOfRange {
    if (!isWhole(ms)) throw new OutOfRange(field + " " + ms + " is not a whole epoch millisecond");
    if (ms < TIMESTAMP_MIN || ms > TIMESTAMP_MAX) throw new OutOfRange(field + " " + (long) ms + " ms is outside 0001-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z");
    return (long) ms;
  }

  /** A price as numeric(10,2) holds it: rounded to the cent (as seed 001 rounds), below 10^8. */
  static BigDecimal numeric10_2(String field, double value) throws OutOfRange {
    if (!Double.isFinite(value)) throw new OutOfRange(field + " " + value + " is not a finite number");
    double rounded = roundTo2(value);
    if (Math.abs(rounded) >= 1e8) throw new OutOfRange(field + " " + rounded + " does not fit numeric(10,2): |value| must be below 100000000");
    return BigDecimal.valueOf(rounded).setScale(2, RoundingMode.HALF_UP);
  }

  /** Seed 002's round(x, 2), as the verifier computes it (half up, in binary floating point). */
  static double roundTo2(double value) {
    return Math.floor(value * 100 + 0.5) / 100;
  }

  /** A value quoted for a dead letter's detail, cut to 60 characters. */
  static String preview(String value) {
    String shown = value.length() > 60 ? value.substring(0, 60) : value;
    StringBuilder out = new StringBuilder("\"");
    for (char c : shown.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    out.append('"');
    return value.length() > 60 ? out + "... (" + value.length() + " characters)" : out.toString();
  }

  /** Text a text column holds: for a dead letter's detail, which must never be refused for what it says. */
  static String safeText(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), 2000));
    for (int i = 0; i < text.length() && out.length() < 2000; i++) {
      char c = text.charAt(i);
      if (c == 0) continue;
      boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
      if (pair) {
        out.append(c).append(text.charAt(++i));
      } else {
        out.append(Character.isSurrogate(c) ? '\ufffd' : c);
      }
    }
    return out.toString();
  }
}
