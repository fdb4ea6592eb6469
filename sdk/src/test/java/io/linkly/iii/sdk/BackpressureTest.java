package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.iii.protocol.TriggerAction;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SDK bounds its own outbound bytes: a caller waits for an engine that does not read. */
class BackpressureTest {

  @Test
  void callsToAnEngineThatStopsReadingWaitThenFailInsteadOfPilingUp() throws Exception {
    try (FakeEngine engine = new FakeEngine()) {
      Iii iii =
          Iii.registerWorker(
              engine.url(),
              WorkerOptions.builder().workerName("flooder").invocationTimeout(Duration.ofMillis(300)).build());
      try {
        FakeEngine.Connection connection = engine.accept();
        iii.ready().get();
        connection.stopReading();
        String kilobytes64 = "x".repeat(64 * 1024);
        int sent = 0;
        IiiException refused = null;
        for (; sent < 10_000; sent++) { // 640 MiB if nothing pushed back
          try {
            iii.trigger(TriggerRequest.of("sink::big", Map.of("blob", kilobytes64)).withAction(TriggerAction.Void()));
          } catch (IiiException e) {
            refused = e;
            break;
          }
        }
        assertThat(refused).as("a call refused after %d sends", sent).isNotNull();
        assertThat(refused.getMessage()).contains("has not read");
        // kernel buffers on both sides hold some megabytes; the SDK itself holds about one
        assertThat(sent).as("calls accepted before the SDK pushed back").isLessThan(1_000);
      } finally {
        iii.shutdown();
      }
    }
  }
}
