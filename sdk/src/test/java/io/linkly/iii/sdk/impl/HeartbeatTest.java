package io.linkly.iii.sdk.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.iii.sdk.ReconnectPolicy;
import io.linkly.iii.sdk.WorkerOptions;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Liveness against a peer that completes the WebSocket upgrade, greets the worker, and then never
 * says anything again (not even a pong): the worker must keep pinging, notice the silence and
 * reconnect. Heartbeat intervals are shortened; nothing here measures time.
 */
class HeartbeatTest {

  private static final Heartbeat QUICK = new Heartbeat(Duration.ofMillis(100), Duration.ofMillis(600));

  private SilentPeer peer;
  private IiiClient iii;

  @AfterEach
  void tearDown() throws IOException {
    if (iii != null) {
      iii.shutdown();
    }
    if (peer != null) {
      peer.close();
    }
  }

  @Test
  void pingsASilentEngineThenDropsItAndReconnects() throws Exception {
    peer = new SilentPeer();
    iii =
        IiiClient.start(
            peer.url(),
            WorkerOptions.builder()
                .reconnect(ReconnectPolicy.DEFAULT.withInitialDelay(Duration.ofMillis(10)))
                .build(),
            QUICK);

    assertThat(peer.events.poll(10, TimeUnit.SECONDS)).isEqualTo("open 1");
    assertThat(iii.ready().get(10, TimeUnit.SECONDS)).isNull();
    awaitEvent("ping 1");
    awaitEvent("open 2");
  }

  /** Waits (at most 20 s in all) until the peer reports {@code wanted}, skipping other events. */
  private void awaitEvent(String wanted) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      long left = deadline - System.nanoTime();
      String event = left > 0 ? peer.events.poll(left, TimeUnit.NANOSECONDS) : null;
      assertThat(event).as("waiting for '%s'", wanted).isNotNull();
      if (event.equals(wanted)) {
        return;
      }
    }
  }

  /** A bare-socket WebSocket server that only greets. */
  private static final class SilentPeer implements AutoCloseable {
    final BlockingQueue<String> events = new ArrayBlockingQueue<>(10_000);
    private final ServerSocket server;
    private int connections;

    SilentPeer() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread.ofPlatform().daemon().start(this::acceptLoop);
    }

    String url() {
      return "ws://127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          int n = ++connections;
          Thread.ofPlatform().daemon().start(() -> serve(socket, n));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket socket, int n) {
      try (socket) {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        String key = null;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
          if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:")) {
            key = line.substring(line.indexOf(':') + 1).trim();
          }
        }
        String accept =
            Base64.getEncoder()
                .encodeToString(
                    MessageDigest.getInstance("SHA-1")
                        .digest(
                            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                .getBytes(StandardCharsets.US_ASCII)));
        out.write(
            ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        byte[] hello =
            ("{\"type\":\"workerregistered\",\"worker_id\":\"" + UUID.randomUUID() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        out.write(0x81);
        out.write(hello.length);
        out.write(hello);
        out.flush();
        events.add("open " + n);
        DataInputStream frames = new DataInputStream(in);
        while (true) {
          int b0 = frames.readUnsignedByte();
          int b1 = frames.readUnsignedByte();
          long length = b1 & 0x7F;
          if (length == 126) {
            length = frames.readUnsignedShort();
          } else if (length == 127) {
            length = frames.readLong();
          }
          if ((b1 & 0x80) != 0) {
            frames.readInt();
          }
          frames.skipNBytes(length);
          if ((b0 & 0x0F) == 0x9) {
            events.add("ping " + n);
          }
        }
      } catch (Exception e) {
        events.add("closed " + n);
      }
    }

    private static String readLine(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("eof");
        }
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }
  }
}
