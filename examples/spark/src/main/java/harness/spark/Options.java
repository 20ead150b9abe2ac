package harness.spark;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A job's `--name value` options, checked against the names it knows. */
final class Options {
  private final String job;
  private final Map<String, String> values = new HashMap<>();

  Options(String job, List<String> args, Set<String> known) {
    this.job = job;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) throw new IllegalArgumentException(job + ": unexpected argument " + arg);
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else {
        if (i + 1 >= args.size()) throw new IllegalArgumentException(job + ": --" + name + " needs a value");
        value = args.get(++i);
      }
      if (!known.contains(name)) throw new IllegalArgumentException(job + ": unknown option --" + name + " (known: --" + String.join(", --", known) + ")");
      values.put(name, value);
    }
  }

  String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  String required(String name) {
    String value = values.get(name);
    if (value == null) throw new IllegalArgumentException(job + ": --" + name + " is required");
    return value;
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  long millis(String name, String fallback) {
    return parseDuration(job, name, get(name, fallback));
  }

  int integer(String name, int fallback) {
    String text = values.get(name);
    if (text == null) return fallback;
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(job + ": --" + name + " expects a whole number, got " + text);
    }
  }

  /** 250ms, 2s, 30 minutes, 1h: milliseconds. */
  static long parseDuration(String job, String name, String text) {
    String t = text.trim().toLowerCase();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+(?:\\.\\d+)?)\\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?)?$").matcher(t);
    if (!m.matches()) throw new IllegalArgumentException(job + ": --" + name + " expects a duration like 500ms, 2s, 30m or 1h, got " + text);
    double n = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    double scale = switch (unit) {
      case "ms" -> 1;
      case "s", "sec", "second", "seconds" -> 1000;
      case "m", "min", "minute", "minutes" -> 60_000;
      default -> 3_600_000;
    };
    return Math.round(n * scale);
  }
}
