package harness.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.timestamp_millis;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.window;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

/**
 * Seed 002's pipeline: Kafka `lol_matches` into PostgreSQL with Spark Structured Streaming.
 *
 * It reads exactly the run's offsets (seed 004: bounded, never a whole-topic scan): from the start
 * offsets the run's manifest records, and it stops once the run has finished and its end offsets
 * are in. Each message is parsed as match-v5, validated and flattened to ten participant rows
 * (KDA, gold/damage/cs per minute); what does not parse or validate is dead-lettered with its
 * bytes (seed 000's critical finding) in the table and on `<topic>.dlq`. produced_at is the send
 * time in the message's `harness` header (the scenario's `transport.headers: true`), else the
 * message's timestamp. Champion and position statistics are added in the batch's transaction from
 * the rows its INSERT inserted.
 *
 * `--watermark 30m` keeps the windows the way streaming jobs often do instead: Spark's event-time
 * aggregation (withWatermark + window) in a second query, which drops matches later than the
 * watermark. The generator's late matches are 1-6 hours old, so a watermark under 6 hours loses
 * some, and `harness verify` names the windows that miss them.
 */
final class LolJob implements Job {
  static final Set<String> OPTIONS = Set.of("run", "next-run", "topic", "bootstrap", "schema", "table", "champion-table", "position-table", "dlq-table", "checkpoint-table", "checkpoint",
      "mode", "max-offsets-per-trigger", "trigger", "future-tolerance", "hold-after-batch", "hold-for", "name", "watermark", "dead-letter-topic", "outage-limit");

  private final String name;
  private final Path runDir;
  private final List<StreamingQuery> queries;

  private LolJob(String name, Path runDir, List<StreamingQuery> queries) {
    this.name = name;
    this.runDir = runDir;
    this.queries = queries;
  }

  static LolJob start(SparkSession spark, Options o) throws Exception {
    String name = o.get("name", "lol");
    Path runDir = o.has("run") ? Paths.get(o.get("run", "")).toAbsolutePath() : o.has("next-run") ? awaitNextRun(Paths.get(o.get("next-run", "")).toAbsolutePath()) : null;
    String topic;
    String bootstrap;
    Map<Integer, Long> start;
    String runId;
    String deadLetterTopic;
    if (runDir != null) {
      Manifest m = awaitManifest(runDir);
      topic = m.topic();
      start = m.start();
      runId = m.runId();
      bootstrap = o.get("bootstrap", System.getenv().getOrDefault("KAFKA_BROKERS", String.join(",", m.brokers())));
      deadLetterTopic = m.deadLetterTopic();
    } else {
      // A topic of your own (the tests' hostile corpus): everything it holds when the job starts.
      topic = o.required("topic");
      bootstrap = o.get("bootstrap", System.getenv("KAFKA_BROKERS"));
      if (bootstrap == null) throw new IllegalArgumentException(name + ": --topic needs --bootstrap or KAFKA_BROKERS");
      start = earliest(bootstrap, topic);
      runId = "";
      deadLetterTopic = null;
    }
    if (!Boolean.parseBoolean(o.get("dead-letter-topic", "true"))) deadLetterTopic = null;
    String checkpoint = o.get("checkpoint", runDir != null ? runDir.resolve("spark-checkpoint-lol").toString() : "spark-checkpoint-" + topic);
    BatchWriter.Mode mode = BatchWriter.Mode.parse(o.get("mode", "correct"));
    long tolerance = o.millis("future-tolerance", "1h");
    long holdBatch = o.has("hold-after-batch") ? o.integer("hold-after-batch", -1) : -1;
    long holdFor = o.millis("hold-for", "3s");
    long outage = o.millis("outage-limit", "5m");
    String schema = o.get("schema", "harness");
    String pgUrl = Postgres.url();
    List<Statistics> statistics = List.of(Statistics.champion(o.get("champion-table", "lol_champion_stats")), Statistics.position(o.get("position-table", "lol_position_stats")));
    String watermark = o.has("watermark") ? o.millis("watermark", "0") + " milliseconds" : null;
    BatchWriter.LetterPublisher publisher = deadLetterTopic == null || mode == BatchWriter.Mode.DROP_MALFORMED ? null : new DeadLetterTopic(bootstrap, deadLetterTopic, runId, topic);
    BatchWriter writer = new BatchWriter(pgUrl, schema, "lol", o.get("table", "lol_participants"), LolRules.COLUMNS, o.get("dlq-table", "dead_letters"),
        o.get("checkpoint-table", "harness_checkpoints"), "spark:" + name, mode, statistics, watermark == null, publisher);

    String partitions = start.keySet().stream().map(String::valueOf).collect(Collectors.joining(","));
    String offsets = start.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue()).collect(Collectors.joining(","));
    Dataset<Row> matches = spark.readStream()
        .format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("assign", "{\"" + topic + "\":[" + partitions + "]}")
        .option("startingOffsets", "{\"" + topic + "\":{" + offsets + "}}")
        .option("includeHeaders", "true")
        // A task reads its offset range and stops; the consumer's prefetch past the range's end
        // waited the default 500 ms at the log's end, per partition: 1.5 s of every micro-batch here.
        .option("kafka.fetch.max.wait.ms", "20")
        .option("maxOffsetsPerTrigger", o.integer("max-offsets-per-trigger", 1000))
        .load()
        .flatMap(new ParseMessages(tolerance), Encoders.row(Outcomes.schema(LolRules.COLUMNS)));

    Trigger trigger = Trigger.ProcessingTime(o.millis("trigger", "500ms"));
    VoidFunction2<Dataset<Row>, Long> write = (batch, batchId) -> {
      long started = System.nanoTime();
      List<Record> in = Outcomes.records(batch.collectAsList());
      if (in.isEmpty()) return;
      BatchWriter.Result result = writer.write(batchId, in, outage);
      Main.logBatch(name, batchId, in, result, started, describeOffsets(in));
      // A crash test's window: the batch is committed in PostgreSQL, not yet in Spark's checkpoint.
      if (batchId == holdBatch) Thread.sleep(holdFor);
    };
    List<StreamingQuery> queries = new ArrayList<>();
    queries.add(matches.writeStream().queryName(name).option("checkpointLocation", checkpoint + "/participants").trigger(trigger).foreachBatch(write).start());
    if (watermark != null) queries.add(windows(matches, watermark, name, checkpoint, trigger, pgUrl, schema, statistics, writer));
    return new LolJob(name, runDir, queries);
  }

  /**
   * The statistics' 5-minute windows as Spark's event-time aggregation keeps them: participant rows
   * deduplicated and grouped by window of game_creation with a watermark, in update mode; each
   * micro-batch replaces the windows it changed. Matches older than the watermark when they
   * arrive are dropped by Spark, silently.
   */
  private static StreamingQuery windows(Dataset<Row> matches, String watermark, String name, String checkpoint, Trigger trigger, String pgUrl, String schema,
      List<Statistics> statistics, BatchWriter writer) throws Exception {
    Dataset<Row> participants = matches.filter(col("reason").isNull())
        .select(explode(col("rows")).as("p"))
        .select(col("p.*"))
        .withColumn("event_time", timestamp_millis(col("game_creation")))
        .withWatermark("event_time", watermark)
        .dropDuplicatesWithinWatermark("match_id", "participant_id");
    Dataset<Row> keyed = participants.withColumn("stat", lit("champion")).withColumn("grp", col("champion_name"))
        .unionByName(participants.withColumn("stat", lit("position")).withColumn("grp", col("position")));
    Dataset<Row> sums = keyed.groupBy(window(col("event_time"), "5 minutes"), col("stat"), col("grp"))
        .agg(count(lit(1)).as("sum_games"),
            sum(when(col("win"), 1).otherwise(0)).as("sum_wins"),
            sum(col("kills")).as("sum_kills"),
            sum(col("deaths")).as("sum_deaths"),
            sum(col("assists")).as("sum_assists"),
            sum(round(col("kda").multiply(100)).cast("long")).as("sum_kda_x100"),
            sum(round(col("gold_per_minute").multiply(100)).cast("long")).as("sum_gpm_x100"),
            sum(round(col("damage_per_minute").multiply(100)).cast("long")).as("sum_dpm_x100"),
            sum(round(col("cs_per_minute").multiply(100)).cast("long")).as("sum_cspm_x100"))
        .select(col("stat"), col("grp"), col("window.start").as("win"), col("sum_games"), col("sum_wins"), col("sum_kills"), col("sum_deaths"), col("sum_assists"),
            col("sum_kda_x100"), col("sum_gpm_x100"), col("sum_dpm_x100"), col("sum_cspm_x100"));
    String source = "spark:" + name + "-windows";
    VoidFunction2<Dataset<Row>, Long> replace = (batch, batchId) -> {
      List<Row> rows = batch.collectAsList();
      writer.transaction(c -> {
        try (PreparedStatement q = c.prepareStatement("SELECT position FROM " + Postgres.table(schema, "harness_checkpoints") + " WHERE dataset = 'lol' AND source = ? FOR UPDATE")) {
          q.setString(1, source);
          var rs = q.executeQuery();
          if (rs.next() && rs.getLong(1) >= batchId) return;
        }
        try (Statement sql = c.createStatement()) {
          sql.execute("CREATE TEMP TABLE IF NOT EXISTS spark_windows (stat text, grp text, win timestamptz, sum_games bigint, sum_wins bigint, sum_kills bigint, sum_deaths bigint,"
              + " sum_assists bigint, sum_kda_x100 bigint, sum_gpm_x100 bigint, sum_dpm_x100 bigint, sum_cspm_x100 bigint) ON COMMIT DELETE ROWS");
          try (PreparedStatement insert = c.prepareStatement("INSERT INTO spark_windows VALUES (?, ?, ?::timestamptz, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Row r : rows) {
              insert.setString(1, r.getString(0));
              insert.setString(2, r.getString(1));
              Object win = r.get(2);
              insert.setString(3, (win instanceof Instant i ? i : ((java.sql.Timestamp) win).toInstant()).toString());
              for (int i = 3; i < 12; i++) insert.setLong(i + 1, r.getLong(i));
              insert.addBatch();
            }
            insert.executeBatch();
          }
          for (Statistics s : statistics) {
            String kind = s == statistics.get(0) ? "champion" : "position";
            sql.execute(s.replaceWindowsSql(schema, "(SELECT * FROM spark_windows WHERE stat = '" + kind + "')"));
          }
        }
        try (PreparedStatement q = c.prepareStatement("INSERT INTO " + Postgres.table(schema, "harness_checkpoints") + " (dataset, source, position, done, updated_at) VALUES ('lol', ?, ?, false, now())"
            + " ON CONFLICT (dataset, source) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at")) {
          q.setString(1, source);
          q.setLong(2, batchId);
          q.executeUpdate();
        }
      });
      System.out.printf("[%s] windows batch %d: %d windows updated%n", name, batchId, rows.size());
    };
    return sums.writeStream().queryName(name + "-windows").outputMode("update").option("checkpointLocation", checkpoint + "/windows").trigger(trigger).foreachBatch(replace).start();
  }

  private static String describeOffsets(List<Record> records) {
    Map<String, long[]> ranges = new TreeMap<>();
    for (Record r : records) {
      long[] range = ranges.computeIfAbsent(r.source(), k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
      range[0] = Math.min(range[0], r.position());
      range[1] = Math.max(range[1], r.position());
    }
    return "offsets " + ranges.entrySet().stream().map(e -> e.getKey() + "@" + e.getValue()[0] + "-" + e.getValue()[1]).collect(Collectors.joining(" "));
  }

  /**
   * The first run started in a harness home (`--home`, default .harness) after this job: the job
   * can be up, its JVM warm, before the run produces anything (what the bench measures).
   */
  private static Path awaitNextRun(Path home) throws InterruptedException {
    Path runs = home.resolve("runs");
    java.util.Set<String> before = new java.util.HashSet<>();
    String[] existing = runs.toFile().list();
    if (existing != null) before.addAll(List.of(existing));
    System.out.println("waiting for the next run in " + runs);
    long deadline = System.currentTimeMillis() + 600_000;
    while (System.currentTimeMillis() < deadline) {
      String[] now = runs.toFile().list();
      if (now != null) {
        java.util.Optional<String> next = java.util.Arrays.stream(now).filter(n -> !before.contains(n)).sorted().findFirst();
        if (next.isPresent()) return runs.resolve(next.get());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("no new run appeared in " + runs + " within 10 minutes");
  }

  /** `harness run` writes the manifest (with the topic's start offsets) before it produces; a job started first waits for it. */
  private static Manifest awaitManifest(Path runDir) throws Exception {
    long deadline = System.currentTimeMillis() + 600_000;
    while (true) {
      try {
        Manifest m = Manifest.read(runDir, "lol");
        if (!m.start().isEmpty()) return m;
      } catch (java.io.IOException e) {
        // Not written yet, or being replaced.
      }
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException(runDir + "/manifest.json named no Kafka topic with start offsets for lol within 10 minutes");
      Thread.sleep(200);
    }
  }

  private static Map<Integer, Long> earliest(String bootstrap, String topic) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    try (AdminClient admin = AdminClient.create(props)) {
      var description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      Map<TopicPartition, OffsetSpec> want = new java.util.HashMap<>();
      description.partitions().forEach(p -> want.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest()));
      Map<Integer, Long> out = new TreeMap<>();
      admin.listOffsets(want).all().get().forEach((tp, info) -> out.put(tp.partition(), info.offset()));
      return out;
    }
  }

  @Override
  public List<StreamingQuery> queries() {
    return queries;
  }

  @Override
  public String name() {
    return name;
  }

  /** A run's records are all in the topic once its manifest says finished; a topic of your own is taken as it stands. */
  @Override
  public boolean inputComplete() throws Exception {
    return runDir == null || "finished".equals(Manifest.read(runDir, "lol").status());
  }

  /** One Kafka message in, its outcome out. */
  static final class ParseMessages implements FlatMapFunction<Row, Row> {
    private final long futureToleranceMs;

    ParseMessages(long futureToleranceMs) {
      this.futureToleranceMs = futureToleranceMs;
    }

    @Override
    public Iterator<Row> call(Row message) {
      byte[] key = (byte[]) message.getAs("key");
      byte[] value = message.getAs("value");
      if (value == null) value = new byte[0];
      String source = message.<String>getAs("topic") + ":" + message.<Integer>getAs("partition");
      long offset = message.<Long>getAs("offset");
      Object timestamp = message.getAs("timestamp");
      long producedAt = timestamp instanceof Instant i ? i.toEpochMilli() : ((java.sql.Timestamp) timestamp).getTime();
      String harness = null;
      List<Row> headers = message.getList(message.fieldIndex("headers"));
      if (headers != null) {
        for (Row h : headers) if ("harness".equals(h.getString(0)) && !h.isNullAt(1)) harness = new String((byte[]) h.get(1), StandardCharsets.UTF_8);
      }
      Long index = null;
      if (harness != null) {
        // `<run id> <index> <sent at ms> <intended at ms>`: the record's index and when it was sent.
        String[] parts = harness.split(" ");
        if (parts.length == 4) {
          try {
            index = Long.parseLong(parts[1]);
            producedAt = Long.parseLong(parts[2]);
          } catch (NumberFormatException ignored) {
            index = null;
          }
        }
      }
      Verdict verdict;
      try {
        verdict = LolRules.validate(value, System.currentTimeMillis(), futureToleranceMs);
      } catch (RuntimeException | StackOverflowError e) {
        verdict = Verdict.reject("invalid_record", "validation failed: " + e);
      }
      return List.of(Outcomes.row(new Record(source, offset, index, producedAt, verdict, value, key, harness))).iterator();
    }
  }

  /**
   * Dead letters on `<topic>.dlq` (docs/external-pipeline.md): value = the raw bytes, the record's
   * key and `harness` header kept, `harness-dlq-reason` added (with the detail, where it was read,
   * the run and the record index). Sent before the batch's transaction commits: at least once, as
   * a topic without broker transactions can promise; the table stays exactly once.
   */
  static final class DeadLetterTopic implements BatchWriter.LetterPublisher {
    private final String topic;
    private final String runId;
    private final KafkaProducer<byte[], byte[]> producer;

    DeadLetterTopic(String bootstrap, String topic, String runId, String dataTopic) {
      this.topic = topic;
      this.runId = runId;
      Properties props = new Properties();
      props.put("bootstrap.servers", bootstrap);
      props.put("acks", "all");
      props.put("max.request.size", String.valueOf(32 * 1024 * 1024));
      props.put("key.serializer", ByteArraySerializer.class.getName());
      props.put("value.serializer", ByteArraySerializer.class.getName());
      this.producer = new KafkaProducer<>(props);
    }

    @Override
    public void publish(List<Record> letters, String dataset) throws Exception {
      List<Future<?>> sent = new ArrayList<>();
      for (Record r : letters) {
        ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(topic, null, r.key(), r.raw());
        if (r.harnessHeader() != null) out.headers().add("harness", r.harnessHeader().getBytes(StandardCharsets.UTF_8));
        out.headers().add("harness-dlq-reason", r.verdict().reason.getBytes(StandardCharsets.UTF_8));
        out.headers().add("harness-dlq-detail", Values.safeText(r.verdict().detail).getBytes(StandardCharsets.UTF_8));
        out.headers().add("harness-dlq-source", (r.source() + "@" + r.position()).getBytes(StandardCharsets.UTF_8));
        out.headers().add("harness-dlq-run", runId.getBytes(StandardCharsets.UTF_8));
        out.headers().add("harness-dlq-index", (r.recordIndex() == null ? "" : r.recordIndex().toString()).getBytes(StandardCharsets.UTF_8));
        sent.add(producer.send(out));
      }
      producer.flush();
      for (Future<?> f : sent) f.get();
    }
  }
}
