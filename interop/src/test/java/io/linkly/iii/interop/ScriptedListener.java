package io.linkly.iii.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a worker listener that speaks just enough WebSocket (RFC 6455) and worker
 * protocol to play what our engine cannot yet: an RBAC listener that refuses every connection
 * with {@code {"type":"error","error":{"code":"AUTH_ERROR",…}}} and a Close (PROTOCOL.md §1.3; the
 * engine has no {@code rbac} support so far), or an engine that sends a JSON {@code ping} and
 * frames of types it does not know. It records when each connection came and every JSON frame
 * the client sent, and can cut connections. Blocking sockets on virtual threads; one connection at
 * a time is all a test needs.
 */
final class ScriptedListener implements AutoCloseable {

  enum Mode {
    /** Upgrade, send the AUTH_ERROR frame and a Close, as an RBAC listener whose auth function failed. */
    REFUSE,
    /** Upgrade, send {@code workerregistered}, an unknown frame type, a non-JSON frame and a {@code ping}; then listen. */
    ACCEPT
  }

  /** One connection: when it arrived and the request target ({@code /?token=…}). */
  record Attempt(long atNanos, String target) {}

  /** What an accepted connection was told in {@code workerregistered}. */
  record Registration(String workerId, String reattachToken) {}

  static final String AUTH_MESSAGE = "token rejected by auth::browser";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final ServerSocket server;
  private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private final List<Registration> registrations = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile Mode mode;

  private ScriptedListener(ServerSocket server, Mode mode) {
    this.server = server;
    this.mode = mode;
  }

  static ScriptedListener start(Mode mode) throws IOException {
    ScriptedListener listener =
        new ScriptedListener(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), mode);
    Thread.ofVirtual().name("scripted-listener-accept").start(listener::acceptLoop);
    return listener;
  }

  /** {@code ws://127.0.0.1:<port>} followed by {@code pathAndQuery}. */
  String url(String pathAndQuery) {
    return "ws://127.0.0.1:" + server.getLocalPort() + pathAndQuery;
  }

  void mode(Mode newMode) {
    mode = newMode;
  }

  List<Attempt> attempts() {
    return List.copyOf(attempts);
  }

  /** Every JSON frame clients sent, in arrival order. */
  List<JsonNode> received() {
    return List.copyOf(received);
  }

  /** The {@code workerregistered} of every accepted connection, in order. */
  List<Registration> registrations() {
    return List.copyOf(registrations);
  }

  /** Cuts every open connection without a Close frame, as a dying engine or network does. */
  void dropConnections() throws IOException {
    for (Socket socket : open) {
      socket.close();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    dropConnections();
  }

  // ------------------------------------------------------------------ connections

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        long at = System.nanoTime();
        open.add(socket);
        Thread.ofVirtual().name("scripted-listener-connection").start(() -> serve(socket, at));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket socket, long acceptedAtNanos) {
    try {
      socket.setSoTimeout(30_000);
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      String target = upgrade(in, out);
      attempts.add(new Attempt(acceptedAtNanos, target));
      if (mode == Mode.REFUSE) {
        sendText(out, "{\"type\":\"error\",\"error\":{\"code\":\"AUTH_ERROR\",\"message\":\"" + AUTH_MESSAGE + "\"}}");
        sendClose(out, 1008);
        // Wait for the client's Close (or its hang-up) so that ours is read before the TCP close.
        readFrames(new DataInputStream(in), out, true);
        return;
      }
      Registration registration = new Registration(UUID.randomUUID().toString(), UUID.randomUUID().toString());
      registrations.add(registration);
      sendText(
          out,
          "{\"type\":\"workerregistered\",\"worker_id\":\"" + registration.workerId()
              + "\",\"reattach_token\":\"" + registration.reattachToken() + "\"}");
      sendText(out, "{\"type\":\"something_a_later_engine_sends\",\"data\":{\"x\":1}}");
      sendText(out, "this is not JSON");
      sendText(out, "{\"type\":\"ping\"}");
      readFrames(new DataInputStream(in), out, false);
    } catch (SocketTimeoutException | EOFException e) {
      // the client went quiet or away: the connection is over
    } catch (IOException e) {
      if (!socket.isClosed()) { // not cut on purpose (dropConnections, close)
        System.err.println("[scripted-listener] connection failed: " + e);
      }
    } finally {
      open.remove(socket);
      try {
        socket.close();
      } catch (IOException e) {
        // closing is all that is left to do
      }
    }
  }

  /** Reads the HTTP upgrade request, answers 101, returns the request target. */
  private static String upgrade(InputStream in, OutputStream out) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the upgrade request");
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String target = lines[0].split(" ")[1];
    String key = null;
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("sec-websocket-key")) {
        key = line.substring(colon + 1).trim();
      }
    }
    if (key == null) {
      throw new IOException("not a WebSocket upgrade: " + lines[0]);
    }
    String accept;
    try {
      accept =
          Base64.getEncoder()
              .encodeToString(
                  MessageDigest.getInstance("SHA-1").digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.ISO_8859_1)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
    out.write(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept
                + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return target;
  }

  /**
   * Reads the client's frames until it closes: JSON text is recorded, WS pings are answered, a
   * Close is answered (unless {@code closeSent}) and ends the loop.
   */
  private void readFrames(DataInputStream in, OutputStream out, boolean closeSent) throws IOException {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    while (true) {
      int first = in.readUnsignedByte();
      int second = in.readUnsignedByte();
      boolean fin = (first & 0x80) != 0;
      int opcode = first & 0x0F;
      long length = second & 0x7F;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] mask = new byte[4];
      if ((second & 0x80) != 0) {
        in.readFully(mask);
      }
      byte[] payload = new byte[Math.toIntExact(length)];
      in.readFully(payload);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i % 4];
      }
      switch (opcode) {
        case 0x8 -> {
          if (!closeSent) {
            sendClose(out, 1000);
          }
          return;
        }
        case 0x9 -> sendFrame(out, 0xA, payload);
        case 0xA -> {}
        default -> {
          message.write(payload);
          if (fin) {
            try {
              received.add(JSON.readTree(message.toByteArray()));
            } catch (IOException e) {
              received.add(JSON.getNodeFactory().textNode("not JSON: " + message.toString(StandardCharsets.UTF_8)));
            }
            message.reset();
          }
        }
      }
    }
  }

  private static void sendText(OutputStream out, String text) throws IOException {
    sendFrame(out, 0x1, text.getBytes(StandardCharsets.UTF_8));
  }

  private static void sendClose(OutputStream out, int code) throws IOException {
    sendFrame(out, 0x8, new byte[] {(byte) (code >> 8), (byte) code});
  }

  /** One unmasked, unfragmented frame, as a server sends them. */
  private static void sendFrame(OutputStream out, int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(0x80 | opcode);
    if (payload.length < 126) {
      frame.write(payload.length);
    } else if (payload.length < 65_536) {
      frame.write(126);
      frame.write(payload.length >> 8);
      frame.write(payload.length);
    } else {
      frame.write(127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >> shift));
      }
    }
    frame.write(payload);
    out.write(frame.toByteArray());
    out.flush();
  }
}
