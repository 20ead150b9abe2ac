package harness.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a Kafka job reads from a harness run's manifest.json (docs/external-pipeline.md: "read the
 * offsets range the run's manifest records"): the run id, the brokers, the dataset's topic with its
 * start offsets (known before anything is produced), its end offsets (known once the run has
 * finished) and its dead-letter topic.
 */
record Manifest(String runId, String status, List<String> brokers, String topic, Map<Integer, Long> start, Map<Integer, Long> end, String deadLetterTopic) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Manifest read(Path runDir, String dataset) throws IOException {
    JsonNode root = JSON.readTree(Files.readAllBytes(runDir.resolve("manifest.json")));
    JsonNode transport = root.path("transport");
    if (!"kafka".equals(transport.path("type").asText())) {
      throw new IllegalArgumentException(runDir + "/manifest.json: the run's transport is " + transport.path("type").asText() + ", not kafka");
    }
    // Missing until the run has created its topics (a job started with the run waits for them).
    JsonNode topic = transport.path("topics").path(dataset);
    List<String> brokers = new ArrayList<>();
    transport.path("brokers").forEach(b -> brokers.add(b.asText()));
    JsonNode dlq = topic.path("deadLetters").path("name");
    return new Manifest(root.path("runId").asText(), root.path("status").asText(), brokers, topic.path("name").asText(), offsets(topic.path("start")), offsets(topic.path("end")),
        dlq.isMissingNode() ? null : dlq.asText());
  }

  private static Map<Integer, Long> offsets(JsonNode node) {
    Map<Integer, Long> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(Integer.parseInt(e.getKey()), e.getValue().asLong());
    }
    return out;
  }
}
