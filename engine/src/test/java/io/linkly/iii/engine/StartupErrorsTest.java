package io.linkly.iii.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.LogCapture;
import io.linkly.iii.engine.workers.StartupException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A start refused by the machine: one message naming worker, address and key; nothing left held. */
class StartupErrorsTest {

  private static final Pattern HTTP_PORT = Pattern.compile("iii-http listening on http://127\\.0\\.0\\.1:(\\d+)");

  @Test
  void aTakenStreamPortStopsTheStartAndReleasesWhatHadStarted() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        LogCapture logs = new LogCapture()) {
      int port = taken.getLocalPort();
      // ephemeral() starts iii-http, iii-state, iii-pubsub, then iii-stream: http is bound by then
      EngineConfig config = EngineConfig.ephemeral().withPort("iii-stream", port);

      assertThatThrownBy(() -> IiiEngine.start(config))
          .isInstanceOf(StartupException.class)
          .hasMessage("iii-stream cannot listen on 127.0.0.1:" + port + " (defaults.iii-stream.config.port: address already in use)");

      int httpPort = boundPort(logs.messages());
      try (ServerSocket again = new ServerSocket(httpPort, 50, InetAddress.getLoopbackAddress())) {
        assertThat(again.getLocalPort()).as("the HTTP port the failed start had bound is free again").isEqualTo(httpPort);
      }
    }
  }

  @Test
  void aTakenHttpPortNamesTheHttpWorker() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> IiiEngine.start(EngineConfig.ephemeral().withPort("iii-http", port)))
          .isInstanceOf(StartupException.class)
          .hasMessage("iii-http cannot listen on 127.0.0.1:" + port + " (defaults.iii-http.config.port: address already in use)");
    }
  }

  private static int boundPort(List<String> messages) {
    for (String message : messages) {
      Matcher m = HTTP_PORT.matcher(message);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("iii-http never said its port: " + messages);
  }
}
