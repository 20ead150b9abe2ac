package harness.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * `run.sh <job> [options] [--and <job> [options]]...`: starts the jobs (`ecommerce`, seed 001;
 * `lol`, seed 002) in one Spark session, local mode, and exits once each has read all of its
 * input. Several jobs in one JVM pay Spark's start once (the tests run their scenarios so).
 * Exit 0 when every job finished, 1 when a query failed, 2 for bad options.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    List<List<String>> specs = new ArrayList<>();
    specs.add(new ArrayList<>());
    for (String arg : args) {
      if (arg.equals("--and")) specs.add(new ArrayList<>());
      else specs.get(specs.size() - 1).add(arg);
    }
    if (specs.stream().anyMatch(List::isEmpty)) usage("name a job: ecommerce or lol");

    SparkSession spark = SparkSession.builder()
        .appName("harness-spark-example")
        .master(System.getenv().getOrDefault("SPARK_MASTER", "local[2]"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.datetime.java8API.enabled", "true")
        .config("spark.sql.streaming.stopGracefullyOnShutdown", "false")
        .getOrCreate();

    List<Job> jobs = new ArrayList<>();
    try {
      for (List<String> spec : specs) {
        String job = spec.get(0);
        List<String> rest = spec.subList(1, spec.size());
        switch (job) {
          case "ecommerce" -> jobs.add(EcommerceJob.start(spark, new Options(job, rest, EcommerceJob.OPTIONS)));
          case "lol" -> jobs.add(LolJob.start(spark, new Options(job, rest, LolJob.OPTIONS)));
          default -> usage("unknown job " + job + ": ecommerce or lol");
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("harness-spark: " + e.getMessage());
      System.exit(2);
    }
    System.out.println("started " + jobs.stream().map(Job::name).collect(Collectors.joining(", ")));

    List<Thread> waiters = new ArrayList<>();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (Job job : jobs) {
      Thread t = new Thread(() -> {
        try {
          finish(job);
          System.out.println("[" + job.name() + "] done: every record of the input is in");
        } catch (Exception e) {
          failures.add("[" + job.name() + "] " + e.getMessage());
        }
      }, "finish-" + job.name());
      t.start();
      waiters.add(t);
    }
    for (Thread t : waiters) t.join();
    if (!failures.isEmpty()) {
      failures.forEach(System.err::println);
      System.exit(1);
    }
    spark.stop();
  }

  /** Waits until the job's input is complete, lets its queries take everything there is, then stops them. */
  private static void finish(Job job) throws Exception {
    while (!job.inputComplete()) {
      for (StreamingQuery q : job.queries()) {
        if (!q.isActive()) throw failure(q);
      }
      Thread.sleep(250);
    }
    for (StreamingQuery q : job.queries()) {
      try {
        q.processAllAvailable();
      } catch (Exception e) {
        throw new IllegalStateException("query " + q.name() + " failed: " + e.getMessage(), e);
      }
    }
    for (StreamingQuery q : job.queries()) q.stop();
  }

  private static IllegalStateException failure(StreamingQuery q) {
    return new IllegalStateException("query " + q.name() + " stopped" + (q.exception().isDefined() ? ": " + q.exception().get().getMessage() : ""));
  }

  private static void usage(String problem) {
    System.err.println("harness-spark: " + problem + "\nusage: run.sh ecommerce --data <run dir>/data/ecommerce [options] [--and lol --run <run dir> [options]]");
    System.exit(2);
  }

  /** Seed 000's per-batch progress line: records in, rows and dead letters out, by reason, and how long the batch took. */
  static void logBatch(String name, long batchId, List<Record> in, BatchWriter.Result result, long startedNanos, String where) {
    double seconds = (System.nanoTime() - startedNanos) / 1e9;
    if (result.replay()) {
      System.out.printf("[%s] batch %d: a replay of a batch already written, skipped (%d records, %s)%n", name, batchId, in.size(), where);
      return;
    }
    String reasons = result.reasons().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    System.out.printf("[%s] batch %d written: %d records -> %d rows, %d dead letters%s in %.2f s (%s)%n", name, batchId, in.size(), result.rows(), result.letters(),
        reasons.isEmpty() ? "" : " (" + reasons + ")", seconds, where);
  }
}
