package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** Small helpers shared by the engine-backed tests. */
final class TestSupport {

  static final ReconnectPolicy FAST_RECONNECT =
      ReconnectPolicy.DEFAULT
          .withInitialDelay(Duration.ofMillis(50))
          .withMaxDelay(Duration.ofMillis(500));

  private TestSupport() {}

  static IiiEngine startEngine(EngineConfig config) {
    // a port just released by a closed engine may need a moment before it can be bound again
    return Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(() -> IiiEngine.start(config), e -> e != null);
  }

  /** How a test worker reaches the engine: tests that care run once with each. */
  enum Link {
    SOCKET,
    IN_PROCESS
  }

  static Iii worker(IiiEngine engine, String name) throws Exception {
    return worker(engine, name, Link.SOCKET);
  }

  static Iii worker(IiiEngine engine, String name, Link link) throws Exception {
    WorkerOptions options = WorkerOptions.builder().workerName(name).reconnect(FAST_RECONNECT).build();
    Iii iii =
        link == Link.SOCKET
            ? Iii.registerWorker(engine.workerUrl(), options)
            : Iii.registerWorker(engine, options);
    try {
      iii.ready().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      iii.shutdown();
      throw e;
    }
    return iii;
  }

  /**
   * Returns once the engine has processed everything {@code iii} sent before: the engine handles
   * one connection's frames in order, so the answer to a call means the registrations sent ahead
   * of it are in place for every other connection too.
   */
  static void sync(Iii iii) {
    String nobody = "sdk-test::barrier::" + UUID.randomUUID();
    assertThatThrownBy(() -> iii.trigger(TriggerRequest.of(nobody, null)))
        .isInstanceOf(IiiException.class)
        .extracting(e -> ((IiiException) e).code())
        .isEqualTo("function_not_found");
  }
}
