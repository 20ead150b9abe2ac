package harness.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Seed 002's match-v5 documents: parsed, validated (required fields typed, not from the future,
 * gameDuration > 0, ten participants with distinct ids in two teams of five and one winning team,
 * no negative stat) and flattened to ten participant rows with KDA and the per-minute metrics.
 * JSON as JavaScript's JSON.parse reads it (docs/external-pipeline.md's verifier does): a duplicate
 * key keeps its last value, 1e400 is a number too large to be finite, NaN is no JSON, nothing may
 * follow the document.
 */
final class LolRules {
  private LolRules() {}

  static final List<Column> COLUMNS = List.of(
      Column.text("match_id"),
      Column.integer("participant_id"),
      Column.timestamp("game_creation"),
      Column.integer("game_duration"),
      Column.text("summoner_name"),
      Column.text("champion_name"),
      Column.integer("team_id"),
      Column.text("position"),
      Column.bool("win"),
      Column.integer("kills"),
      Column.integer("deaths"),
      Column.integer("assists"),
      Column.real("kda"),
      Column.bigint("total_damage_dealt"),
      Column.integer("gold_earned"),
      Column.integer("cs"),
      Column.integer("vision_score"),
      Column.real("gold_per_minute"),
      Column.real("damage_per_minute"),
      Column.real("cs_per_minute"));
  static final List<String> KEY = List.of("match_id", "participant_id");

  private static final String[] STATS = {
    "kills", "deaths", "assists", "totalDamageDealtToChampions", "goldEarned", "totalMinionsKilled", "neutralMinionsKilled", "visionScore"
  };
  private static final String[] TEXTS = {"summonerName", "championName", "teamPosition"};

  /**
   * Nesting as deep as JSON.parse takes (a valid match may carry a 100,000-deep field); documents
   * beyond the parser's other limits (a number of over 1,000 digits, a string of over 20 MB) are
   * JSON this engine cannot read: `invalid_record`, not `json_parse`.
   */
  private static final ObjectMapper JSON = new ObjectMapper(
          JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build()).build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final class Reject extends Exception {
    final String reason;

    Reject(String reason, String detail) {
      super(detail, null, false, false);
      this.reason = reason;
    }
  }

  static Verdict validate(byte[] value, long nowMs, long futureToleranceMs) {
    try {
      return Verdict.lands(rows(value, nowMs, futureToleranceMs));
    } catch (Reject r) {
      return Verdict.reject(r.reason, r.getMessage());
    } catch (Values.OutOfRange e) {
      return Verdict.reject("out_of_range", e.getMessage());
    }
  }

  private static List<Object[]> rows(byte[] value, long nowMs, long futureToleranceMs) throws Reject, Values.OutOfRange {
    int[] span = Values.recordText(value);
    String text = Values.strictUtf8(value, span[0], span[1]);
    if (text == null) throw new Reject("invalid_utf8", "the document is not valid UTF-8");
    JsonNode doc;
    try {
      doc = JSON.readTree(text);
    } catch (StreamConstraintsException e) {
      throw new Reject("invalid_record", "beyond the JSON parser's limits: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new Reject("json_parse", e.getOriginalMessage());
    }
    if (doc == null || doc.isMissingNode()) throw new Reject("json_parse", "no JSON document");
    JsonNode metadata = doc.get("metadata");
    JsonNode info = doc.get("info");
    if (!doc.isObject() || metadata == null || !metadata.isObject() || info == null || !info.isObject()) {
      throw new Reject("missing_field", "metadata or info is missing");
    }
    JsonNode matchId = metadata.get("matchId");
    if (matchId == null) throw new Reject("missing_field", "metadata.matchId is missing");
    if (!matchId.isTextual() || matchId.asText().isEmpty()) throw new Reject("wrong_type", "metadata.matchId is not a string");
    for (String field : new String[] {"gameCreation", "gameDuration"}) {
      JsonNode node = info.get(field);
      if (node == null) throw new Reject("missing_field", "info." + field + " is missing");
      if (!node.isNumber() || !Double.isFinite(node.doubleValue())) throw new Reject("wrong_type", "info." + field + " is not a number");
    }
    JsonNode participants = info.get("participants");
    if (participants == null || !participants.isArray()) throw new Reject("missing_field", "info.participants is missing");
    double created = info.get("gameCreation").doubleValue();
    double duration = info.get("gameDuration").doubleValue();
    if (created > nowMs + futureToleranceMs) throw new Reject("future_timestamp", "gameCreation " + created + " is in the future");
    if (duration <= 0) throw new Reject("invalid_duration", "gameDuration " + duration + " is not positive");
    if (participants.size() != 10) throw new Reject("participant_count", participants.size() + " participants, expected 10");
    for (JsonNode p : participants) participantProblem(p);
    Set<Double> ids = new HashSet<>();
    Map<Double, int[]> teams = new HashMap<>();
    for (JsonNode p : participants) {
      ids.add(p.get("participantId").doubleValue());
      int[] team = teams.computeIfAbsent(p.get("teamId").doubleValue(), k -> new int[2]);
      team[0]++;
      if (p.get("win").booleanValue()) team[1]++;
    }
    if (ids.size() != 10) throw new Reject("duplicate_participant", "participantId values are not distinct");
    int winners = 0;
    boolean shaped = teams.size() == 2;
    for (int[] team : teams.values()) {
      if (team[0] != 5 || (team[1] != 0 && team[1] != team[0])) shaped = false;
      if (team[1] == team[0]) winners++;
    }
    if (!shaped || winners != 1) throw new Reject("team_structure", "expected two teams of five and exactly one winning team");
    for (JsonNode p : participants) {
      for (String field : STATS) {
        if (p.get(field).doubleValue() < 0) {
          throw new Reject("negative_stat", "participant " + p.get("participantId").asText() + " has " + field + " " + p.get(field).asText());
        }
      }
    }
    double minutes = duration / 60;
    List<Object[]> rows = new ArrayList<>(10);
    for (JsonNode p : participants) {
      double kills = p.get("kills").doubleValue();
      double deaths = p.get("deaths").doubleValue();
      double assists = p.get("assists").doubleValue();
      double damage = p.get("totalDamageDealtToChampions").doubleValue();
      double gold = p.get("goldEarned").doubleValue();
      double cs = p.get("totalMinionsKilled").doubleValue() + p.get("neutralMinionsKilled").doubleValue();
      rows.add(new Object[] {
        Values.text("match_id", matchId.asText()),
        Values.integer("participant_id", p.get("participantId").doubleValue()),
        Values.timestamp("game_creation", created),
        Values.integer("game_duration", duration),
        Values.text("summoner_name", p.get("summonerName").asText()),
        Values.text("champion_name", p.get("championName").asText()),
        Values.integer("team_id", p.get("teamId").doubleValue()),
        Values.text("position", p.get("teamPosition").asText()),
        p.get("win").booleanValue(),
        Values.integer("kills", kills),
        Values.integer("deaths", deaths),
        Values.integer("assists", assists),
        Values.real("kda", Values.roundTo2(deaths == 0 ? kills + assists : (kills + assists) / deaths)),
        Values.bigint("total_damage_dealt", damage),
        Values.integer("gold_earned", gold),
        Values.integer("cs", cs),
        Values.integer("vision_score", p.get("visionScore").doubleValue()),
        Values.real("gold_per_minute", Values.roundTo2(gold / minutes)),
        Values.real("damage_per_minute", Values.roundTo2(damage / minutes)),
        Values.real("cs_per_minute", Values.roundTo2(cs / minutes)),
      });
    }
    return rows;
  }

  private static void participantProblem(JsonNode p) throws Reject {
    if (!p.isObject()) throw new Reject("wrong_type", "a participant is not an object");
    List<String> integers = new ArrayList<>(List.of("participantId", "teamId"));
    integers.addAll(List.of(STATS));
    for (String field : integers) {
      JsonNode node = p.get(field);
      if (node == null) throw new Reject("missing_field", "participant." + field + " is missing");
      if (!node.isNumber() || !Values.isWhole(node.doubleValue())) throw new Reject("wrong_type", "participant." + field + " is not an integer");
    }
    for (String field : TEXTS) {
      JsonNode node = p.get(field);
      if (node == null || !node.isTextual()) throw new Reject("wrong_type", "participant." + field + " is not a string");
    }
    JsonNode win = p.get("win");
    if (win == null || !win.isBoolean()) throw new Reject("wrong_type", "participant.win is not a boolean");
  }
}
