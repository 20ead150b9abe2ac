package harness.spark;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;

/**
 * Writes one micro-batch in docs/external-pipeline.md's contract, in ONE transaction: the valid
 * records' rows (INSERT ... ON CONFLICT DO NOTHING on the key, ingested_at = the transaction's
 * time), a dead letter per bad record (reason, detail, raw bytes; unique per source and position),
 * LoL's statistics over exactly the rows that INSERT inserted, and the micro-batch's id in
 * harness_checkpoints. A batch id at or below the recorded one is a replay (Spark re-runs the last
 * batch after a crash) and is skipped; even written again it would add nothing.
 *
 * Content the database refuses although the rules took it (SQLSTATE class 22 or 23) does not fail
 * the batch: the batch is written again with each record in a savepoint of its own, and the
 * records refused are dead-lettered as `sink_rejected` with the server's message.
 */
final class BatchWriter {
  enum Mode {
    /** Exactly once: keys, dead letters and the batch id in one transaction. */
    CORRECT,
    /** The classic at-least-once mistake: plain INSERTs, no key, no batch id (a replay writes everything again). */
    APPEND,
    /** Seed 000's finding: what does not parse or validate is dropped, silently. */
    DROP_MALFORMED;

    static Mode parse(String text) {
      return switch (text) {
        case "correct" -> CORRECT;
        case "append" -> APPEND;
        case "drop-malformed" -> DROP_MALFORMED;
        default -> throw new IllegalArgumentException("--mode is correct, append or drop-malformed, not " + text);
      };
    }
  }

  /** Sends a batch's dead letters somewhere besides the table (LoL: `<topic>.dlq`), before the transaction commits. */
  interface LetterPublisher {
    void publish(List<Record> letters, String dataset) throws Exception;
  }

  record Result(boolean replay, int rows, int letters, Map<String, Integer> reasons) {}

  private final String pgUrl;
  private final String schema;
  private final String dataset;
  private final String table;
  private final List<Column> columns;
  private final String dlqTable;
  private final String checkpointTable;
  private final String checkpointSource;
  private final Mode mode;
  private final List<Statistics> statistics;
  private final boolean statisticWindows;
  private final LetterPublisher publisher;
  private Connection connection;

  BatchWriter(String pgUrl, String schema, String dataset, String table, List<Column> columns, String dlqTable, String checkpointTable, String checkpointSource, Mode mode,
      List<Statistics> statistics, boolean statisticWindows, LetterPublisher publisher) {
    this.pgUrl = pgUrl;
    this.schema = schema;
    this.dataset = dataset;
    this.table = table;
    this.columns = columns;
    this.dlqTable = dlqTable;
    this.checkpointTable = checkpointTable;
    this.checkpointSource = checkpointSource;
    this.mode = mode;
    this.statistics = statistics;
    this.statisticWindows = statisticWindows;
    this.publisher = publisher;
  }

  /**
   * Writes the batch, retrying a lost connection with doubling backoff (seed 001: 1 s to 30 s, for
   * up to `outageMs`); content the server refuses is isolated instead (see the class comment).
   */
  Result write(long batchId, List<Record> records, long outageMs) throws Exception {
    long deadline = System.currentTimeMillis() + outageMs;
    long delay = 1000;
    while (true) {
      try {
        return attempt(batchId, records, false);
      } catch (SQLException e) {
        rollbackQuietly();
        if (Postgres.refusedContent(e)) return attempt(batchId, records, true);
        if (System.currentTimeMillis() + delay > deadline) throw e;
        System.err.printf("[%s] batch %d: %s; retrying in %d ms%n", dataset, batchId, e.getMessage(), delay);
        closeQuietly();
        Thread.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  private Result attempt(long batchId, List<Record> records, boolean isolate) throws Exception {
    Connection c = connection();
    c.setAutoCommit(false);
    try (Statement sql = c.createStatement()) {
      if (mode != Mode.APPEND && recordedBatch(c) >= batchId) {
        c.rollback();
        return new Result(true, 0, 0, Map.of());
      }
      String stage = "spark_stage_" + dataset;
      String counted = "spark_counted_" + dataset;
      String names = columns.stream().map(Column::name).map(Postgres::ident).collect(Collectors.joining(", "));
      sql.execute("CREATE TEMP TABLE IF NOT EXISTS " + stage + " (rec_source text, rec_position bigint, produced_at timestamptz, "
          + columns.stream().map(col -> Postgres.ident(col.name()) + " " + col.stagingType()).collect(Collectors.joining(", ")) + ") ON COMMIT DELETE ROWS");
      if (!statistics.isEmpty()) {
        sql.execute("CREATE TEMP TABLE IF NOT EXISTS " + counted + " AS SELECT * FROM " + Postgres.table(schema, table) + " WITH NO DATA");
        sql.execute("TRUNCATE " + counted);
      }
      List<Record> valid = new ArrayList<>();
      List<Record> letters = new ArrayList<>();
      for (Record r : records) {
        if (r.verdict().ok()) valid.add(r);
        else if (mode != Mode.DROP_MALFORMED) letters.add(r);
      }
      copy(c, stage, valid);
      String insert = "INSERT INTO " + Postgres.table(schema, table) + " (" + names + ", produced_at, ingested_at) SELECT " + names + ", produced_at, now() FROM " + stage;
      String conflict = mode == Mode.APPEND ? "" : " ON CONFLICT DO NOTHING";
      String into = statistics.isEmpty() ? "" : " RETURNING *";
      int rows = 0;
      if (!isolate) {
        rows = insertRows(sql, insert + conflict + into, counted);
      } else {
        List<Record> refused = new ArrayList<>();
        try (PreparedStatement one = c.prepareStatement(wrapCounted(insert + " WHERE rec_source = ? AND rec_position = ?" + conflict + into, counted))) {
          for (Record r : valid) {
            sql.execute("SAVEPOINT rec");
            one.setString(1, r.source());
            one.setLong(2, r.position());
            try {
              rows += one.executeUpdate();
              sql.execute("RELEASE SAVEPOINT rec");
            } catch (SQLException e) {
              if (!Postgres.refusedContent(e)) throw e;
              sql.execute("ROLLBACK TO SAVEPOINT rec");
              refused.add(new Record(r.source(), r.position(), r.recordIndex(), r.producedAtMs(), Verdict.reject("sink_rejected", e.getMessage()), r.raw(), r.key(), r.harnessHeader()));
            }
          }
        }
        letters.addAll(refused);
      }
      for (Statistics s : statistics) s.add(sql, schema, statistics.isEmpty() ? stage : counted, statisticWindows);
      if (publisher != null && !letters.isEmpty()) publisher.publish(letters, dataset);
      insertLetters(c, letters);
      if (mode != Mode.APPEND) recordBatch(c, batchId);
      c.commit();
      Map<String, Integer> reasons = new TreeMap<>();
      for (Record r : letters) reasons.merge(r.verdict().reason, 1, Integer::sum);
      return new Result(false, rows, letters.size(), reasons);
    }
  }

  /** A rows INSERT, its RETURNING rows kept in `counted` for the statistics when there are any. */
  private String wrapCounted(String insert, String counted) {
    return statistics.isEmpty() ? insert : "WITH ins AS (" + insert + ") INSERT INTO " + counted + " SELECT * FROM ins";
  }

  private int insertRows(Statement sql, String insert, String counted) throws SQLException {
    return sql.executeUpdate(wrapCounted(insert, counted));
  }

  private long recordedBatch(Connection c) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT position FROM " + Postgres.table(schema, checkpointTable) + " WHERE dataset = ? AND source = ? FOR UPDATE")) {
      q.setString(1, dataset);
      q.setString(2, checkpointSource);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  private void recordBatch(Connection c, long batchId) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("INSERT INTO " + Postgres.table(schema, checkpointTable) + " (dataset, source, position, done, updated_at) VALUES (?, ?, ?, false, now())"
        + " ON CONFLICT (dataset, source) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at")) {
      q.setString(1, dataset);
      q.setString(2, checkpointSource);
      q.setLong(3, batchId);
      q.executeUpdate();
    }
  }

  private void insertLetters(Connection c, List<Record> letters) throws SQLException {
    if (letters.isEmpty()) return;
    String conflict = mode == Mode.APPEND ? "" : " ON CONFLICT (dataset, source, position) DO NOTHING";
    try (PreparedStatement q = c.prepareStatement("INSERT INTO " + Postgres.table(schema, dlqTable)
        + " (dataset, source, position, record_index, reason, detail, raw, dead_lettered_at) VALUES (?, ?, ?, ?, ?, ?, ?, now())" + conflict)) {
      for (Record r : letters) {
        q.setString(1, dataset);
        q.setString(2, r.source());
        q.setLong(3, r.position());
        q.setObject(4, r.recordIndex());
        q.setString(5, r.verdict().reason);
        q.setString(6, Values.safeText(r.verdict().detail));
        q.setBytes(7, r.raw());
        q.addBatch();
      }
      q.executeBatch();
    }
  }

  /** The valid records' rows into the staging table by COPY (text format), each with its record's source and position. */
  private void copy(Connection c, String stage, List<Record> valid) throws SQLException, IOException {
    if (valid.isEmpty()) return;
    StringBuilder text = new StringBuilder();
    for (Record r : valid) {
      String prefix = escape(r.source()) + "\t" + r.position() + "\t" + Instant.ofEpochMilli(r.producedAtMs());
      for (Object[] row : r.verdict().rows) {
        text.append(prefix);
        for (int i = 0; i < row.length; i++) text.append('\t').append(copyValue(columns.get(i), row[i]));
        text.append('\n');
      }
    }
    c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + stage + " FROM STDIN", new StringReader(text.toString()));
  }

  private static String copyValue(Column column, Object value) {
    if (value == null) return "\\N";
    return switch (column.kind()) {
      case TEXT -> escape((String) value);
      case TIMESTAMP_MS -> Instant.ofEpochMilli((Long) value).toString();
      case PRICE -> ((BigDecimal) value).toPlainString();
      case BOOLEAN -> ((Boolean) value) ? "t" : "f";
      default -> value.toString();
    };
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(ch);
      }
    }
    return out.toString();
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) connection = Postgres.connect(pgUrl);
    return connection;
  }

  private void rollbackQuietly() {
    try {
      if (connection != null && !connection.isClosed()) connection.rollback();
    } catch (SQLException ignored) {
      // The connection is gone; the next attempt opens another.
    }
  }

  private void closeQuietly() {
    try {
      if (connection != null) connection.close();
    } catch (SQLException ignored) {
      // Already closed.
    }
    connection = null;
  }

  /** Runs `work` in a transaction of this writer's connection (the watermark query's windows). */
  void transaction(SqlWork work) throws Exception {
    Connection c = connection();
    c.setAutoCommit(false);
    try {
      work.run(c);
      c.commit();
    } catch (Exception e) {
      rollbackQuietly();
      throw e;
    }
  }

  interface SqlWork {
    void run(Connection c) throws Exception;
  }

  long recordedBatchOf(Connection c) throws SQLException {
    return recordedBatch(c);
  }

  void recordBatchOf(Connection c, long batchId) throws SQLException {
    recordBatch(c, batchId);
  }
}
