package harness.spark;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The server docs/external-pipeline.md names: PG_URL (or DATABASE_URL), a libpq URL such as
 * postgres://postgres@127.0.0.1:5432/test, turned into the JDBC driver's URL and properties.
 */
final class Postgres {
  private Postgres() {}

  static String url() {
    String url = System.getenv("PG_URL");
    if (url == null || url.isEmpty()) url = System.getenv("DATABASE_URL");
    if (url == null || url.isEmpty()) {
      throw new IllegalArgumentException("set PG_URL (or DATABASE_URL) to the PostgreSQL server harness verifies, e.g. postgres://postgres@127.0.0.1:5432/test");
    }
    return url;
  }

  static Connection connect(String pgUrl) throws SQLException {
    URI uri = URI.create(pgUrl);
    if (!"postgres".equals(uri.getScheme()) && !"postgresql".equals(uri.getScheme())) {
      throw new IllegalArgumentException("PG_URL must be postgres://user[:password]@host[:port]/database, got scheme " + uri.getScheme());
    }
    Properties props = new Properties();
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      props.setProperty("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
      if (colon >= 0) props.setProperty("password", decode(userInfo.substring(colon + 1)));
    }
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) props.setProperty(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
      }
    }
    props.setProperty("ApplicationName", "harness-spark-example");
    String host = uri.getHost() == null ? "localhost" : uri.getHost();
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    String database = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, props);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  static String table(String schema, String table) {
    return ident(schema) + "." + ident(table);
  }

  /** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the content was refused, not the connection lost. */
  static boolean refusedContent(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23"));
  }
}
