package io.linkly.iii.engine.workers.database;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A libpq-style URL ({@code postgres://user:pass@host:5432/db?sslmode=disable}, also
 * {@code postgresql://}) as pgjdbc wants it: a {@code jdbc:postgresql://} URL plus properties, so
 * credentials never sit in a logged URL. Query parameters pass through, with libpq's names mapped to
 * pgjdbc's ({@code application_name}, {@code connect_timeout}).
 */
public record PostgresUrl(String host, int port, String database, String user, String password, Map<String, String> params) {

  public PostgresUrl {
    params = Map.copyOf(params);
  }

  /** @throws IllegalArgumentException naming what is wrong with the URL */
  public static PostgresUrl parse(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL (" + e.getReason() + "); percent-encode special characters in the password");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("expected postgres://user:password@host:port/database");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String info = uri.getRawUserInfo();
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      password = colon < 0 ? null : decode(info.substring(colon + 1));
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String database = decode(path.startsWith("/") ? path.substring(1) : path);
    if (database.isEmpty()) {
      database = user == null ? "postgres" : user; // libpq: the database defaults to the user name
    }
    Map<String, String> params = new LinkedHashMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        params.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
      }
    }
    return new PostgresUrl(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), database, user, password, params);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /**
   * Connection properties. As upstream, the URL's {@code sslmode} decides whether TLS is used;
   * without one, {@code tls.mode} does: {@code disable} turns it off, {@code require} (the default)
   * uses TLS whenever the server offers it, as upstream's driver does with no sslmode in the URL,
   * and {@code verify-full} insists on a certificate that matches the host, checked against
   * {@code ca_cert} or else the JVM's trust store.
   */
  public Properties properties(DatabaseConfig.Tls tls) {
    Properties out = new Properties();
    if (user != null) {
      out.setProperty("user", user);
    }
    if (password != null) {
      out.setProperty("password", password);
    }
    out.setProperty("ApplicationName", "iii-database");
    params.forEach(
        (key, value) -> {
          switch (key) {
            case "application_name" -> out.setProperty("ApplicationName", value);
            case "connect_timeout" -> out.setProperty("connectTimeout", value);
            default -> out.setProperty(key, value);
          }
        });
    if (!params.containsKey("sslmode")) {
      out.setProperty(
          "sslmode",
          switch (tls.mode()) {
            case DISABLE -> "disable";
            case REQUIRE -> "prefer";
            case VERIFY_FULL -> "verify-full";
          });
    }
    if (tls.caCert() != null && !params.containsKey("sslrootcert")) {
      out.setProperty("sslrootcert", tls.caCert());
    } else if (tls.mode() == DatabaseConfig.TlsMode.VERIFY_FULL && !params.containsKey("sslrootcert")) {
      out.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
    }
    return out;
  }

  /** The URL without credentials, for logs. */
  public String redacted() {
    return "postgres://" + (user == null ? "" : "***@") + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return redacted();
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
