package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.Message;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.WorkerOptions;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The worker's link over a WebSocket: one I/O thread, reconnect with backoff and replay, a bounded
 * queue for calls made while disconnected, and bounded outbound bytes while connected.
 */
final class SocketLink implements Link, SocketListener {

  private final EventLoopGroup group;
  private final Outbox outbox;
  private final WorkerSocket socket;
  private final LinkListener listener;

  SocketLink(URI uri, WorkerOptions options, Heartbeat heartbeat, LinkListener listener) {
    this.listener = listener;
    Frames frames = new Frames();
    Transport transport = Transport.best();
    this.group = transport.newGroup();
    this.outbox = new Outbox(frames, group.next(), Outbox.DEFAULT_CAPACITY, options.invocationTimeout());
    try {
      this.socket =
          new WorkerSocket(uri, options.headers(), options.reconnect(), heartbeat, group, transport, frames, this);
    } catch (RuntimeException e) {
      // a bad URL: release the I/O thread made above before reporting it
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  @Override
  public void start() {
    socket.start();
  }

  @Override
  public void send(Message message) {
    outbox.send(message);
  }

  @Override
  public void sendOrQueue(Message message, PendingCall call) {
    outbox.sendOrQueue(message, call);
  }

  @Override
  public boolean onDeliveryThread() {
    return group.next().inEventLoop();
  }

  @Override
  public void stop() {
    Channel open = socket.stop();
    outbox.clear();
    boolean onIoThread = onDeliveryThread();
    if (open != null && !onIoThread) {
      // let the close frame go out, so the engine cleans up at once
      open.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    var terminated = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    if (!onIoThread) {
      terminated.awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  // ------------------------------------------------------------------ socket events (I/O thread)

  @Override
  public void onOpen(Channel ch) {
    outbox.open(
        ch,
        c -> listener.replay().forEach(m -> outbox.writeDuringOpen(c, m)),
        c -> outbox.writeDuringOpen(c, listener.announcement()));
  }

  @Override
  public void onMessage(Message message) {
    listener.onMessage(message);
  }

  @Override
  public void onClose(Channel ch) {
    if (outbox.closed(ch)) {
      listener.onDisconnected();
    }
  }

  @Override
  public void onGaveUp(IiiException reason) {
    outbox.giveUp(reason);
    listener.onGaveUp(reason);
  }

  @Override
  public void onWritabilityChanged(Channel ch) {
    outbox.writabilityChanged();
  }
}
