package harness.spark;

/**
 * One input record as the writer sees it: where it was read (file and line, or topic:partition and
 * offset), the record index a Kafka `harness` header names (null for files), when it was produced,
 * the rules' verdict, its raw bytes (kept for dead letters only), and for Kafka its key and
 * headers, which a dead letter on `<topic>.dlq` carries on.
 */
record Record(String source, long position, Long recordIndex, long producedAtMs, Verdict verdict, byte[] raw, byte[] key, String harnessHeader) {}
