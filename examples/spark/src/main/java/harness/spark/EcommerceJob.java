package harness.spark;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Seed 001's pipeline: a file stream over a run's e-commerce CSV directory into PostgreSQL.
 *
 * Spark's file source lists the directory each trigger and takes each new file once (it ignores
 * names starting with `.` or `_`: the `.tmp_` files being written and the `_DONE` markers). Files
 * are read whole (`binaryFile`), so every line keeps its exact bytes (invalid UTF-8 included), its
 * physical line number (the dead letter's position) and the file's modification time, which is
 * produced_at. Each micro-batch is validated and written by BatchWriter in one transaction.
 * The job stops once the run's `_DONE` markers are all there and every file is in.
 */
final class EcommerceJob implements Job {
  static final Set<String> OPTIONS = Set.of("data", "schema", "table", "dlq-table", "checkpoint-table", "checkpoint", "mode", "max-files-per-trigger", "trigger",
      "future-tolerance", "hold-after-batch", "hold-for", "name", "outage-limit");
  private static final StructType BINARY_FILE = new StructType()
      .add("path", DataTypes.StringType)
      .add("modificationTime", DataTypes.TimestampType)
      .add("length", DataTypes.LongType)
      .add("content", DataTypes.BinaryType);
  private static final Pattern DONE = Pattern.compile("^_DONE-(\\d+)-of-(\\d+)$");

  private final String name;
  private final Path data;
  private final StreamingQuery query;

  private EcommerceJob(String name, Path data, StreamingQuery query) {
    this.name = name;
    this.data = data;
    this.query = query;
  }

  static EcommerceJob start(SparkSession spark, Options o) throws Exception {
    Path data = Paths.get(o.required("data")).toAbsolutePath().normalize();
    String name = o.get("name", "ecommerce");
    String checkpoint = o.get("checkpoint", data.resolveSibling("spark-checkpoint-" + data.getFileName()).toString());
    BatchWriter.Mode mode = BatchWriter.Mode.parse(o.get("mode", "correct"));
    long tolerance = o.millis("future-tolerance", "1h");
    long holdBatch = o.has("hold-after-batch") ? o.integer("hold-after-batch", -1) : -1;
    long holdFor = o.millis("hold-for", "3s");
    long outage = o.millis("outage-limit", "5m");
    BatchWriter writer = new BatchWriter(Postgres.url(), o.get("schema", "harness"), "ecommerce", o.get("table", "user_events"), EcommerceRules.COLUMNS,
        o.get("dlq-table", "dead_letters"), o.get("checkpoint-table", "harness_checkpoints"), "spark:" + name, mode, List.of(), false, null);
    awaitDirectory(data);

    Dataset<Row> records = spark.readStream()
        .format("binaryFile")
        .schema(BINARY_FILE)
        .option("pathGlobFilter", "*.csv")
        .option("maxFilesPerTrigger", o.integer("max-files-per-trigger", 5))
        .load(data.toString())
        .flatMap(new SplitFile(tolerance), Encoders.row(Outcomes.schema(EcommerceRules.COLUMNS)));

    VoidFunction2<Dataset<Row>, Long> write = (batch, batchId) -> {
      long started = System.nanoTime();
      List<Record> in = Outcomes.records(batch.collectAsList());
      if (in.isEmpty()) return;
      BatchWriter.Result result = writer.write(batchId, in, outage);
      Main.logBatch(name, batchId, in, result, started, describeFiles(in));
      // A crash test's window: the batch is committed in PostgreSQL, not yet in Spark's checkpoint.
      if (batchId == holdBatch) Thread.sleep(holdFor);
    };
    StreamingQuery query = records.writeStream()
        .queryName(name)
        .option("checkpointLocation", checkpoint)
        .trigger(Trigger.ProcessingTime(o.millis("trigger", "500ms")))
        .foreachBatch(write)
        .start();
    return new EcommerceJob(name, data, query);
  }

  private static String describeFiles(List<Record> records) {
    List<String> files = new ArrayList<>();
    for (Record r : records) if (files.isEmpty() || !files.get(files.size() - 1).equals(r.source())) files.add(r.source());
    return "files " + String.join(" ", files);
  }

  /** `harness run` creates the directory as it starts producing; a job started first waits for it. */
  private static void awaitDirectory(Path data) throws InterruptedException {
    if (!Files.isDirectory(data)) System.out.println("waiting for " + data);
    long deadline = System.currentTimeMillis() + 600_000;
    while (!Files.isDirectory(data)) {
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException(data + " did not appear within 10 minutes: is it a run's data/<dataset> directory?");
      Thread.sleep(200);
    }
  }

  @Override
  public List<StreamingQuery> queries() {
    return List.of(query);
  }

  @Override
  public String name() {
    return name;
  }

  /** Complete once `_DONE-1-of-n` .. `_DONE-n-of-n` all exist (every shard has committed its files). */
  @Override
  public boolean inputComplete() {
    File[] entries = data.toFile().listFiles();
    if (entries == null) return false;
    Set<Integer> done = new java.util.HashSet<>();
    int of = -1;
    for (File f : entries) {
      Matcher m = DONE.matcher(f.getName());
      if (!m.matches()) continue;
      done.add(Integer.parseInt(m.group(1)));
      of = Integer.parseInt(m.group(2));
    }
    if (of < 1) return false;
    for (int k = 1; k <= of; k++) if (!done.contains(k)) return false;
    return true;
  }

  /** One file in, one outcome per line out: line 1 is the header; the last line's `\n` ends the file. */
  static final class SplitFile implements FlatMapFunction<Row, Row> {
    private final long futureToleranceMs;

    SplitFile(long futureToleranceMs) {
      this.futureToleranceMs = futureToleranceMs;
    }

    @Override
    public Iterator<Row> call(Row file) {
      String path = file.getString(0);
      String source = path.substring(path.lastIndexOf('/') + 1);
      Object modified = file.get(1);
      long producedAt = modified instanceof Instant i ? i.toEpochMilli() : ((java.sql.Timestamp) modified).getTime();
      byte[] content = (byte[]) file.get(3);
      long now = System.currentTimeMillis();
      List<Row> out = new ArrayList<>();
      int start = 0;
      long line = 0;
      while (start < content.length) {
        int end = start;
        while (end < content.length && content[end] != '\n') end++;
        line++;
        if (line > 1) {
          byte[] bytes = java.util.Arrays.copyOfRange(content, start, end);
          Verdict verdict;
          try {
            verdict = EcommerceRules.validate(bytes, now, futureToleranceMs);
          } catch (RuntimeException | StackOverflowError e) {
            verdict = Verdict.reject("invalid_record", "validation failed: " + e);
          }
          out.add(Outcomes.row(new Record(source, line, null, producedAt, verdict, bytes, null, null)));
        }
        start = end + 1;
      }
      return out.iterator();
    }
  }
}
