package io.linkly.iii.engine.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.UUID;

/**
 * A worker-port client that sends calls as fast as it can and never reads an answer, with a tiny
 * receive buffer so the kernel cannot hide it: the hostile or broken peer the engine must cut off
 * alone. A bare socket, sharing no code with the engine.
 */
public final class FloodingWorker implements AutoCloseable {

  private final Socket socket;

  public FloodingWorker(String workerUrl) throws IOException {
    socket = BareWebSocket.open(workerUrl, 4096);
  }

  /** Sends one text frame. */
  public void send(String json) throws IOException {
    socket.getOutputStream().write(BareWebSocket.maskedText(json));
    socket.getOutputStream().flush();
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
        out.write(BareWebSocket.maskedText("{\"type\":\"invokefunction\",\"invocation_id\":\"" + UUID.randomUUID()
            + "\",\"function_id\":\"" + functionId + "\",\"data\":{}}"));
      }
      out.flush();
    } catch (IOException e) {
      // the engine cut us off
    }
    return sent;
  }

  /**
   * Reads at most {@code bytesPerTick} every {@code tickMs} until nothing has come for
   * {@code quietMs}: a worker that reads, only slowly. Returns the bytes read, or -1 if the engine
   * closed the connection.
   */
  public long readSlowly(int bytesPerTick, long tickMs, long quietMs) throws IOException, InterruptedException {
    socket.setSoTimeout((int) quietMs);
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[bytesPerTick];
    long total = 0;
    try {
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          return -1;
        }
        total += n;
        Thread.sleep(tickMs);
      }
    } catch (java.net.SocketTimeoutException e) {
      return total;
    } catch (java.net.SocketException e) {
      return -1;
    }
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
