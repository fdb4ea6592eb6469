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
