package harness.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * How a record and its verdict travel through Spark: one row per input record, with where it was
 * read, when it was produced, either its table rows (an array of structs, ten for a LoL match) or
 * a dead letter's reason, detail and raw bytes, and for Kafka its key and `harness` header.
 */
final class Outcomes {
  private Outcomes() {}

  static StructType schema(List<Column> columns) {
    List<StructField> rowFields = new ArrayList<>();
    for (Column c : columns) rowFields.add(DataTypes.createStructField(c.name(), c.sparkType(), true));
    return new StructType(new StructField[] {
      DataTypes.createStructField("rec_source", DataTypes.StringType, false),
      DataTypes.createStructField("rec_position", DataTypes.LongType, false),
      DataTypes.createStructField("rec_index", DataTypes.LongType, true),
      DataTypes.createStructField("produced_at", DataTypes.LongType, false),
      DataTypes.createStructField("reason", DataTypes.StringType, true),
      DataTypes.createStructField("detail", DataTypes.StringType, true),
      DataTypes.createStructField("raw", DataTypes.BinaryType, true),
      DataTypes.createStructField("kafka_key", DataTypes.BinaryType, true),
      DataTypes.createStructField("harness_header", DataTypes.StringType, true),
      DataTypes.createStructField("rows", DataTypes.createArrayType(DataTypes.createStructType(rowFields), false), true),
    });
  }

  /** The Spark row of a record; its raw bytes travel too: a record the database refuses becomes a dead letter after all. */
  static Row row(Record r) {
    Verdict v = r.verdict();
    Object rows = null;
    if (v.ok()) {
      List<Row> structs = new ArrayList<>(v.rows.size());
      for (Object[] values : v.rows) structs.add(RowFactory.create(values));
      rows = CollectionConverters.asScala(structs).toSeq();
    }
    return RowFactory.create(r.source(), r.position(), r.recordIndex(), r.producedAtMs(), v.reason, v.detail, r.raw(), r.key(), r.harnessHeader(), rows);
  }

  static Record record(Row row) {
    Verdict verdict;
    if (row.isNullAt(4)) {
      List<Row> structs = row.getList(9);
      List<Object[]> rows = new ArrayList<>(structs.size());
      for (Row s : structs) {
        Object[] values = new Object[s.length()];
        for (int i = 0; i < values.length; i++) values[i] = s.get(i);
        rows.add(values);
      }
      verdict = Verdict.lands(rows);
    } else {
      verdict = Verdict.reject(row.getString(4), row.getString(5));
    }
    return new Record(row.getString(0), row.getLong(1), row.isNullAt(2) ? null : row.getLong(2), row.getLong(3), verdict,
        (byte[]) row.get(6), (byte[]) row.get(7), row.isNullAt(8) ? null : row.getString(8));
  }

  static List<Record> records(List<Row> rows) {
    List<Record> out = new ArrayList<>(rows.size());
    for (Row r : rows) out.add(record(r));
    return out;
  }
}
