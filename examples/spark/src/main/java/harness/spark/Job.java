package harness.spark;

import org.apache.spark.sql.streaming.StreamingQuery;

/** A streaming job started in a session: its queries, and whether its input is complete. */
interface Job {
  /** The job's streaming queries (more than one with `--watermark`). */
  java.util.List<StreamingQuery> queries();

  /** True once every record of the input is there to read (the run's `_DONE` markers, its manifest finished). */
  boolean inputComplete() throws Exception;

  String name();
}
