package harness.spark;

import java.io.Serializable;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * One column of a data table as docs/external-pipeline.md's DDL declares it, and how the job carries
 * it through Spark: timestamps travel as epoch milliseconds (a long) and are written as ISO 8601
 * text, which PostgreSQL reads exactly for every year 0001-9999 (java.sql.Timestamp would shift old
 * dates to the Julian calendar).
 */
record Column(String name, Kind kind) implements Serializable {
  enum Kind {
    TEXT, INTEGER, BIGINT, REAL, BOOLEAN, PRICE, TIMESTAMP_MS
  }

  DataType sparkType() {
    return switch (kind) {
      case TEXT -> DataTypes.StringType;
      case INTEGER -> DataTypes.IntegerType;
      case BIGINT, TIMESTAMP_MS -> DataTypes.LongType;
      case REAL -> DataTypes.DoubleType;
      case BOOLEAN -> DataTypes.BooleanType;
      case PRICE -> DataTypes.createDecimalType(10, 2);
    };
  }

  /** The staging table's type: what COPY's text is read as before it is inserted. */
  String stagingType() {
    return switch (kind) {
      case TEXT -> "text";
      case INTEGER -> "integer";
      case BIGINT -> "bigint";
      case REAL -> "real";
      case BOOLEAN -> "boolean";
      case PRICE -> "numeric(10,2)";
      case TIMESTAMP_MS -> "timestamptz";
    };
  }

  static Column text(String name) {
    return new Column(name, Kind.TEXT);
  }

  static Column integer(String name) {
    return new Column(name, Kind.INTEGER);
  }

  static Column bigint(String name) {
    return new Column(name, Kind.BIGINT);
  }

  static Column real(String name) {
    return new Column(name, Kind.REAL);
  }

  static Column bool(String name) {
    return new Column(name, Kind.BOOLEAN);
  }

  static Column price(String name) {
    return new Column(name, Kind.PRICE);
  }

  static Column timestamp(String name) {
    return new Column(name, Kind.TIMESTAMP_MS);
  }
}
