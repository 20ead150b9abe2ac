package harness.spark;

import java.io.Serializable;
import java.util.List;

/** What the rules make of one record: the rows it lands as, or a dead letter's reason and detail. */
final class Verdict implements Serializable {
  final List<Object[]> rows;
  final String reason;
  final String detail;

  private Verdict(List<Object[]> rows, String reason, String detail) {
    this.rows = rows;
    this.reason = reason;
    this.detail = detail;
  }

  static Verdict lands(List<Object[]> rows) {
    return new Verdict(rows, null, null);
  }

  static Verdict reject(String reason, String detail) {
    return new Verdict(null, reason, detail);
  }

  boolean ok() {
    return rows != null;
  }
}
