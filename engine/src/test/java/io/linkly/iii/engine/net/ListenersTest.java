package io.linkly.iii.engine.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What every listener of the engine promises: loopback by default, and TCP_NODELAY on each connection. */
class ListenersTest {

  @Test
  void acceptedConnectionsHaveTcpNoDelay() throws Exception {
    CompletableFuture<SocketChannel> accepted = new CompletableFuture<>();
    try (Transport transport = new Transport(1);
        Listener listener = Listener.bind(transport, "127.0.0.1", 0, accepted::complete);
        Socket client = new Socket("127.0.0.1", listener.port())) {
      SocketChannel channel = accepted.get(10, TimeUnit.SECONDS);
      assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).as("TCP_NODELAY on the accepted socket").isTrue();
    }
  }

  /** The test above covers every engine listener only while each is bound through {@link Listener}. */
  @Test
  void everyEngineListenerIsBoundThroughListener() throws Exception {
    Path main = Path.of("src/main/java").toAbsolutePath();
    try (Stream<Path> files = Files.walk(main)) {
      List<String> others = files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("net/Listener.java"))
          .filter(f -> {
            try {
              return Files.readString(f).contains("ServerBootstrap");
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .map(f -> main.relativize(f).toString())
          .toList();
      assertThat(others).as("server sockets set up outside Listener (and its TCP_NODELAY)").isEmpty();
    }
  }

  /**
   * A socket bound to 127.0.0.1 takes no connection made to 127.0.0.2 (Linux routes all of 127/8
   * to the loopback interface), while one bound to 0.0.0.0 would: so this tells the two apart
   * without needing another network interface.
   */
  @Test
  void withNoHostConfiguredEveryListenerBindsLoopbackOnly() throws Exception {
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral())) {
      Map<String, Integer> ports = Map.of(
          "worker port", engine.workerPort(),
          "iii-http", engine.port("iii-http").orElseThrow(),
          "iii-stream", engine.port("iii-stream").orElseThrow());
      ports.forEach((name, port) -> {
        try (Socket ok = new Socket()) {
          ok.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        } catch (Exception e) {
          throw new AssertionError(name + " does not accept on 127.0.0.1:" + port, e);
        }
        assertThatThrownBy(() -> {
          try (Socket other = new Socket()) {
            other.connect(new InetSocketAddress("127.0.0.2", port), 5000);
          }
        }).as(name + " accepted a connection to 127.0.0.2: it listens beyond 127.0.0.1").isInstanceOf(ConnectException.class);
      });
    }
  }
}
