package io.linkly.testing;

import java.util.Locale;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * One rule for tests that need a service of this machine (Redis, RabbitMQ, PostgreSQL, Node): when
 * it is missing they skip with a printed reason, except under CI ({@code CI=true}, any case, or
 * {@code 1}), where a missing service fails the test so that nothing is skipped silently.
 */
public final class LocalService {

  private LocalService() {}

  /** Whether this run is CI's. */
  public static boolean inCi() {
    String ci = System.getenv("CI");
    return ci != null && (ci.toLowerCase(Locale.ROOT).equals("true") || ci.equals("1"));
  }

  /** Ends the calling test: failed under CI, otherwise skipped; {@code reason} says what is missing. */
  public static void unavailable(String test, String reason) {
    if (inCi()) {
      Assertions.fail(reason + " (CI=true requires it)");
    }
    System.out.println("skipping " + test + ": " + reason);
    Assumptions.abort(reason);
  }
}
