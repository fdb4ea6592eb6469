package io.linkly.iii.engine.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A worker-port client that sends calls as fast as it can and never reads an answer, with a tiny
 * receive buffer so the kernel cannot hide it: the hostile or broken peer the engine must cut off
 * alone. A bare socket, sharing no code with the engine.
 */
public final class FloodingWorker implements AutoCloseable {

  private final Socket socket;

  public FloodingWorker(String workerUrl) throws IOException {
    URI uri = URI.create(workerUrl);
    socket = new Socket();
    socket.setReceiveBufferSize(4096);
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
    while (matched < 4) { // the 101 response headers, and nothing more is ever read
      int b = in.read();
      if (b < 0) {
        throw new IOException("worker port closed during the upgrade");
      }
      matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
    }
  }

  /**
   * Sends up to {@code calls} invocations of {@code functionId}; returns how many went out before
   * the engine closed the connection (a blocked write ends when it does).
   */
  public int flood(String functionId, int calls) {
    int sent = 0;
    try {
      OutputStream out = socket.getOutputStream();
      for (; sent < calls; sent++) {
        String frame = "{\"type\":\"invokefunction\",\"invocation_id\":\"" + UUID.randomUUID()
            + "\",\"function_id\":\"" + functionId + "\",\"data\":{}}";
        out.write(maskedText(frame.getBytes(StandardCharsets.UTF_8)));
      }
      out.flush();
    } catch (IOException e) {
      // the engine cut us off
    }
    return sent;
  }

  /** A client-to-server text frame (clients must mask). */
  private static byte[] maskedText(byte[] payload) {
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

  public boolean isClosedByPeer() {
    try {
      socket.setSoTimeout(100);
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[65536];
      while (true) { // drain whatever the engine had sent before closing
        if (in.read(buf) < 0) {
          return true;
        }
      }
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
