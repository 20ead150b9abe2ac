package harness.spark;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Seed 001's validation rules in its order, as docs/external-pipeline.md lists them: UTF-8, CSV
 * parse, column count, required fields empty, event type, price a number, price not negative,
 * timestamp parsable, not in the future, view without price; then every value within its column.
 */
final class EcommerceRules {
  private EcommerceRules() {}

  static final List<Column> COLUMNS = List.of(
      Column.text("event_id"),
      Column.text("user_id"),
      Column.text("product_id"),
      Column.text("product_name"),
      Column.text("product_category"),
      Column.text("event_type"),
      Column.price("price"),
      Column.timestamp("event_timestamp"));
  static final List<String> KEY = List.of("event_id");

  private static final String[] REQUIRED = {"event_id", "user_id", "product_id", "event_type", "event_timestamp"};
  private static final int[] REQUIRED_AT = {0, 1, 2, 5, 7};
  private static final Pattern PRICE = Pattern.compile("^-?\\d+(\\.\\d+)?$");

  static Verdict validate(byte[] line, long nowMs, long futureToleranceMs) {
    int[] span = Values.recordText(line);
    String text = Values.strictUtf8(line, span[0], span[1]);
    if (text == null) return Verdict.reject("invalid_utf8", "the line is not valid UTF-8");
    if (text.isEmpty()) return Verdict.reject("column_count", "empty line");
    List<String> parsed = csvFields(text);
    if (parsed == null) return Verdict.reject("csv_parse", "not one RFC 4180 record (a quote that never closes, or text beside a quoted field)");
    if (parsed.size() != COLUMNS.size()) return Verdict.reject("column_count", "expected " + COLUMNS.size() + " columns, found " + parsed.size());
    String[] f = new String[parsed.size()];
    for (int i = 0; i < f.length; i++) f[i] = Values.trim(parsed.get(i));
    for (int i = 0; i < REQUIRED.length; i++) {
      if (f[REQUIRED_AT[i]].isEmpty()) return Verdict.reject("missing_field", REQUIRED[i] + " is empty");
    }
    String eventType = f[5].toLowerCase(Locale.ROOT);
    if (!eventType.equals("view") && !eventType.equals("purchase")) {
      return Verdict.reject("invalid_event_type", "event_type " + Values.preview(f[5]) + " is neither view nor purchase");
    }
    String priceText = f[6];
    if (!priceText.isEmpty()) {
      if (!PRICE.matcher(priceText).matches()) return Verdict.reject("wrong_type", "price " + Values.preview(priceText) + " is not a number");
      if (Double.parseDouble(priceText) < 0) return Verdict.reject("negative_price", "price " + Values.preview(priceText) + " is negative");
    }
    Long eventMs = Timestamps.parse(f[7]);
    if (eventMs == null) return Verdict.reject("wrong_type", "event_timestamp " + Values.preview(f[7]) + " is not an ISO 8601 timestamp");
    if (eventMs > nowMs + futureToleranceMs) return Verdict.reject("future_timestamp", "event_timestamp " + Values.preview(f[7]) + " is in the future");
    if (!priceText.isEmpty() && eventType.equals("view")) return Verdict.reject("view_with_price", "a view carries price " + Values.preview(priceText));
    try {
      BigDecimal price = priceText.isEmpty() ? null : Values.numeric10_2("price", Double.parseDouble(priceText));
      Object[] row = {
        Values.text("event_id", f[0]),
        Values.text("user_id", f[1]),
        Values.text("product_id", f[2]),
        Values.text("product_name", f[3]),
        Values.text("product_category", f[4]),
        eventType,
        price,
        Values.timestamp("event_timestamp", eventMs),
      };
      List<Object[]> rows = new ArrayList<>(1);
      rows.add(row);
      return Verdict.lands(rows);
    } catch (Values.OutOfRange e) {
      return Verdict.reject("out_of_range", e.getMessage());
    }
  }

  /**
   * One physical line as one RFC 4180 record, or null when it is none: a field is either quoted
   * ("" inside for a quote, nothing but a comma or the end after the closing quote) or holds no
   * quote at all. A quoted field never spans lines: each line is a record of its own.
   */
  static List<String> csvFields(String line) {
    List<String> fields = new ArrayList<>(8);
    int i = 0;
    int n = line.length();
    while (true) {
      if (i < n && line.charAt(i) == '"') {
        StringBuilder field = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) return null;
          char c = line.charAt(i);
          if (c == '"') {
            if (i + 1 < n && line.charAt(i + 1) == '"') {
              field.append('"');
              i += 2;
            } else {
              i++;
              break;
            }
          } else {
            field.append(c);
            i++;
          }
        }
        fields.add(field.toString());
        if (i == n) return fields;
        if (line.charAt(i) != ',') return null;
        i++;
      } else {
        int end = i;
        while (end < n && line.charAt(end) != ',') {
          if (line.charAt(end) == '"') return null;
          end++;
        }
        fields.add(line.substring(i, end));
        if (end == n) return fields;
        i = end + 1;
      }
    }
  }
}
