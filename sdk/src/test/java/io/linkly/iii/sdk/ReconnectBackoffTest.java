package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The SDK's reconnect backoff as the README states it (exponential, capped, a bounded number of
 * retries when asked), read from the delays the socket chose rather than from a stopwatch.
 */
class ReconnectBackoffTest {

  @Test
  void theDefaultPolicyIsOneSecondDoublingToThirtyWithThirtyPercentJitterForever() {
    ReconnectPolicy p = ReconnectPolicy.DEFAULT;
    assertThat(p.delayFor(0, 0.5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.delayFor(1, 0.5)).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.delayFor(4, 0.5)).isEqualTo(Duration.ofSeconds(16));
    assertThat(p.delayFor(5, 0.5)).as("capped").isEqualTo(Duration.ofSeconds(30));
    assertThat(p.delayFor(50, 0.5)).as("capped").isEqualTo(Duration.ofSeconds(30));
    assertThat(p.delayFor(0, 0.0)).as("jitter low end").isEqualTo(Duration.ofMillis(700));
    assertThat(p.delayFor(0, 0.999_999)).as("jitter high end").isEqualTo(Duration.ofMillis(1300));
    assertThat(p.allows(1_000_000)).as("retries forever").isTrue();
  }

  @Test
  void aWorkerThatCannotReachItsEngineWaitsLongerEachTimeAndStopsAfterMaxRetries() throws Exception {
    Logger socketLog = (Logger) LoggerFactory.getLogger("io.linkly.iii.sdk.impl.WorkerSocket");
    Level before = socketLog.getLevel();
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    socketLog.addAppender(events);
    socketLog.setLevel(Level.DEBUG);
    AtomicInteger connections = new AtomicInteger();
    // a peer that hangs up on every connection: each attempt fails at the handshake
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread.ofVirtual().start(() -> {
        while (!server.isClosed()) {
          try (Socket s = server.accept()) {
            connections.incrementAndGet();
          } catch (Exception e) {
            return;
          }
        }
      });
      ReconnectPolicy policy = new ReconnectPolicy(Duration.ofMillis(10), 2.0, Duration.ofMillis(40), 0.0, 4);
      Iii iii = Iii.registerWorker("ws://127.0.0.1:" + server.getLocalPort(),
          WorkerOptions.builder().workerName("unlucky").reconnect(policy).build());
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> messages(events).stream().anyMatch(m -> m.startsWith("giving up")));
        List<String> delays = messages(events).stream().filter(m -> m.startsWith("reconnecting"))
            .map(m -> m.replaceAll(".* in (\\d+) ms .*", "$1")).toList();
        assertThat(delays).as("delays chosen before each retry").containsExactly("10", "20", "40", "40");
        assertThat(delays).as("no retry after giving up").hasSize(4);
        await().atMost(Duration.ofSeconds(10)).until(() -> connections.get() == 5); // the first attempt and four retries
      } finally {
        iii.shutdown();
      }
    } finally {
      socketLog.detachAppender(events);
      socketLog.setLevel(before);
    }
  }

  @Test
  void whenThePolicyGivesUpTheWaitingCallsFailAtOnceWithTheReason() throws Exception {
    int port;
    try (ServerSocket bound = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = bound.getLocalPort();
    }
    ReconnectPolicy policy = new ReconnectPolicy(Duration.ofMillis(10), 2.0, Duration.ofMillis(40), 0.0, 1);
    Iii iii = Iii.registerWorker("ws://127.0.0.1:" + port, WorkerOptions.builder().workerName("refused").reconnect(policy).build());
    try {
      long start = System.nanoTime();
      TriggerRequest call = TriggerRequest.of("engine::health::check", Map.of()).withTimeout(Duration.ofSeconds(30));

      assertThatThrownBy(() -> iii.trigger(call))
          .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo(IiiException.CONNECTION_FAILED))
          .hasMessage("cannot connect to the engine at ws://127.0.0.1:" + port + ": connection refused (gave up after 1 retries)");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the call's 30 s timeout").isLessThan(Duration.ofSeconds(5));
      assertThat(iii.ready()).isCompletedExceptionally();
      // nothing will connect any more: a later call fails at once too, instead of waiting in the queue
      assertThatThrownBy(() -> iii.trigger(call))
          .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo(IiiException.CONNECTION_FAILED));
      assertThat(iii.triggerAsync(call)).failsWithin(Duration.ofSeconds(1));
    } finally {
      iii.shutdown();
    }
  }

  private static List<String> messages(ListAppender<ILoggingEvent> events) {
    synchronized (events) { // AppenderBase appends under this lock
      return events.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }
}
