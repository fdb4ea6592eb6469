package io.linkly.iii.engine.testing;

import java.net.Socket;

/**
 * A stream-port client that joins and then never reads again, with a tiny receive buffer so the
 * kernel cannot hide the stall: a frozen browser tab, written as a bare socket.
 */
public final class StalledClient implements AutoCloseable {

  private final Socket socket;

  public StalledClient(String url, String joinJson) throws Exception {
    socket = BareWebSocket.open(url, 4096);
    socket.getOutputStream().write(BareWebSocket.maskedText(joinJson));
    socket.getOutputStream().flush();
  }

  /** True once the engine has dropped the connection (detected without reading data). */
  public boolean isDisconnectedByPeer() {
    try {
      socket.getOutputStream().write(new byte[] {(byte) 0x89, (byte) 0x80, 0, 0, 0, 0}); // masked ping
      socket.getOutputStream().flush();
      return false;
    } catch (java.io.IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws Exception {
    socket.close();
  }
}
