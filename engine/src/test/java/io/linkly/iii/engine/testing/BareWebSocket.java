package io.linkly.iii.engine.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client side of a WebSocket on a plain blocking socket, for peers that must misbehave in ways
 * a real client library will not (never read, read nothing at all): the upgrade, and masked text
 * frames. Shares no code with the engine.
 */
final class BareWebSocket {

  private BareWebSocket() {}

  /**
   * Connects to {@code url} with a small receive buffer, so the kernel cannot hide a peer that
   * stops reading, and completes the upgrade, reading the 101 response headers and nothing more.
   */
  static Socket open(String url, int receiveBufferBytes) throws IOException {
    URI uri = URI.create(url);
    Socket socket = new Socket();
    socket.setReceiveBufferSize(receiveBufferBytes);
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    OutputStream out = socket.getOutputStream();
    out.write(("GET / HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        socket.close();
        throw new IOException("the server closed the connection during the upgrade");
      }
      matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
    }
    return socket;
  }

  /** A client-to-server text frame (clients must mask), up to 64 KiB of payload. */
  static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    if (payload.length > 0xFFFF) {
      throw new IllegalArgumentException("keep test frames under 64 KiB");
    }
    int header = payload.length < 126 ? 2 : 4;
    byte[] frame = new byte[header + 4 + payload.length];
    frame[0] = (byte) 0x81;
    if (payload.length < 126) {
      frame[1] = (byte) (0x80 | payload.length);
    } else {
      frame[1] = (byte) (0x80 | 126);
      frame[2] = (byte) (payload.length >>> 8);
      frame[3] = (byte) payload.length;
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    System.arraycopy(mask, 0, frame, header, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[header + 4 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    return frame;
  }
}
