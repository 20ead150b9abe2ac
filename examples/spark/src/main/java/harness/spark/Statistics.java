package harness.spark;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Seed 002's champion and position statistics in docs/external-pipeline.md's tables: one row per
 * group and 5-minute window of game_creation (aligned to the epoch), one per group in total
 * (window_start NULL). Each row keeps exact sums (the nullable sum_* columns: counts, and the
 * 2-decimal metrics in hundredths), and its declared fields are computed from them, so adding a
 * batch's rows is exact and never needs the rows already counted.
 */
final class Statistics {
  /** A declared field, computed from a row's sums (`sum` gives the SQL for a sum column). */
  record Field(String name, Function<Function<String, String>, String> fromSums) {}

  /** A sum column and the aggregate over participant rows that feeds it. */
  record Sum(String name, String aggregate) {}

  final String table;
  final String group;
  final String groupSource;
  final List<Sum> sums;
  final List<Field> fields;

  private Statistics(String table, String group, String groupSource, List<Sum> sums, List<Field> fields) {
    this.table = table;
    this.group = group;
    this.groupSource = groupSource;
    this.sums = sums;
    this.fields = fields;
  }

  private static Field mean(String name, String sum, double scale) {
    return new Field(name, s -> "(" + s.apply(sum) + ")::float8 / " + (scale == 1 ? "" : scale + " / ") + "(" + s.apply("sum_games") + ")");
  }

  static Statistics champion(String table) {
    List<Sum> sums = List.of(
        new Sum("sum_games", "count(*)"),
        new Sum("sum_wins", "count(*) FILTER (WHERE win)"),
        new Sum("sum_kills", "sum(kills)"),
        new Sum("sum_deaths", "sum(deaths)"),
        new Sum("sum_assists", "sum(assists)"),
        new Sum("sum_kda_x100", "sum(round(kda::numeric * 100))"),
        new Sum("sum_gpm_x100", "sum(round(gold_per_minute::numeric * 100))"),
        new Sum("sum_dpm_x100", "sum(round(damage_per_minute::numeric * 100))"),
        new Sum("sum_cspm_x100", "sum(round(cs_per_minute::numeric * 100))"));
    List<Field> fields = List.of(
        new Field("games_played", s -> s.apply("sum_games")),
        new Field("wins", s -> s.apply("sum_wins")),
        new Field("win_rate", s -> "round(100.0 * (" + s.apply("sum_wins") + ") / (" + s.apply("sum_games") + "), 2)"),
        mean("avg_kills", "sum_kills", 1),
        mean("avg_deaths", "sum_deaths", 1),
        mean("avg_assists", "sum_assists", 1),
        mean("avg_kda", "sum_kda_x100", 100),
        mean("avg_gpm", "sum_gpm_x100", 100),
        mean("avg_dpm", "sum_dpm_x100", 100),
        mean("avg_cspm", "sum_cspm_x100", 100));
    return new Statistics(table, "champion_name", "champion_name", sums, fields);
  }

  static Statistics position(String table) {
    List<Sum> sums = List.of(
        new Sum("sum_games", "count(*)"),
        new Sum("sum_kills", "sum(kills)"),
        new Sum("sum_deaths", "sum(deaths)"),
        new Sum("sum_assists", "sum(assists)"),
        new Sum("sum_gpm_x100", "sum(round(gold_per_minute::numeric * 100))"),
        new Sum("sum_dpm_x100", "sum(round(damage_per_minute::numeric * 100))"));
    List<Field> fields = List.of(
        new Field("games_played", s -> s.apply("sum_games")),
        mean("avg_kills", "sum_kills", 1),
        mean("avg_deaths", "sum_deaths", 1),
        mean("avg_assists", "sum_assists", 1),
        mean("avg_gpm", "sum_gpm_x100", 100),
        mean("avg_dpm", "sum_dpm_x100", 100));
    return new Statistics(table, "position", "position", sums, fields);
  }

  private static final String WINDOW = "date_bin('5 minutes', game_creation, timestamptz 'epoch')";

  /**
   * Adds the participant rows of `rows` (a relation with lol_participants' columns) to the
   * windows (when `windows`) and the totals: an upsert per kind whose conflict branch adds the sums.
   */
  void add(Statement sql, String schema, String rows, boolean windows) throws SQLException {
    if (windows) sql.execute(addSql(schema, rows, true));
    sql.execute(addSql(schema, rows, false));
  }

  String addSql(String schema, String rows, boolean window) {
    String sumNames = sums.stream().map(Sum::name).collect(Collectors.joining(", "));
    String aggregates = sums.stream().map(s -> s.aggregate() + " AS " + s.name()).collect(Collectors.joining(", "));
    String declared = fields.stream().map(Field::name).map(Postgres::ident).collect(Collectors.joining(", "));
    String fromBatch = fields.stream().map(f -> f.fromSums().apply(n -> "b." + n)).collect(Collectors.joining(", "));
    List<String> set = new ArrayList<>();
    for (Sum s : sums) set.add(s.name() + " = t." + s.name() + " + EXCLUDED." + s.name());
    for (Field f : fields) set.add(Postgres.ident(f.name()) + " = " + f.fromSums().apply(n -> "t." + n + " + EXCLUDED." + n));
    String g = Postgres.ident(group);
    return "INSERT INTO " + Postgres.table(schema, table) + " AS t (" + g + ", window_start, " + declared + ", " + sumNames + ")"
        + " SELECT b.grp, b.win, " + fromBatch + ", " + sumNames
        + " FROM (SELECT " + Postgres.ident(groupSource) + " AS grp, " + (window ? WINDOW : "NULL::timestamptz") + " AS win, " + aggregates
        + " FROM " + rows + " GROUP BY 1, 2) b"
        + (window ? " ON CONFLICT (" + g + ", window_start)" : " ON CONFLICT (" + g + ") WHERE window_start IS NULL")
        + " DO UPDATE SET " + String.join(", ", set);
  }

  /**
   * Replaces windows with what an event-time aggregation holds for them (`--watermark`): `rows`
   * has (grp, win, sum columns...), each the window's whole aggregate, not an increment.
   */
  String replaceWindowsSql(String schema, String rows) {
    String sumNames = sums.stream().map(Sum::name).collect(Collectors.joining(", "));
    String declared = fields.stream().map(Field::name).map(Postgres::ident).collect(Collectors.joining(", "));
    String fromBatch = fields.stream().map(f -> f.fromSums().apply(n -> "b." + n)).collect(Collectors.joining(", "));
    List<String> set = new ArrayList<>();
    for (Sum s : sums) set.add(s.name() + " = EXCLUDED." + s.name());
    for (Field f : fields) set.add(Postgres.ident(f.name()) + " = EXCLUDED." + Postgres.ident(f.name()));
    String g = Postgres.ident(group);
    return "INSERT INTO " + Postgres.table(schema, table) + " AS t (" + g + ", window_start, " + declared + ", " + sumNames + ")"
        + " SELECT b.grp, b.win, " + fromBatch + ", " + sumNames + " FROM " + rows + " b"
        + " ON CONFLICT (" + g + ", window_start) DO UPDATE SET " + String.join(", ", set);
  }
}
