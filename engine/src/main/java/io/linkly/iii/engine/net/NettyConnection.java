package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Connection;
import io.linkly.iii.protocol.Message;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's WebSocket as the engine core sees it. Messages go down the pipeline as records; the
 * frame codec encodes each once, and the flush consolidation at the head turns the writes of one
 * read batch into one flush.
 *
 * <p>A worker that does not read its output is cut off once, with one log line: at once when
 * {@link SocketLimits#hardLimitBytes()} wait for it, otherwise when its output has stayed above
 * the bound for the grace period (see {@link SessionHandler}).
 */
final class NettyConnection implements Connection {

  private static final Logger log = LoggerFactory.getLogger(NettyConnection.class);

  private final Channel channel;
  private final SocketLimits limits;
  private final AtomicBoolean cutOff = new AtomicBoolean();
  private final ReentrantLock drainLock = new ReentrantLock();
  private List<Runnable> drainTasks = new ArrayList<>();

  NettyConnection(Channel channel, SocketLimits limits) {
    this.channel = channel;
    this.limits = limits;
  }

  @Override
  public void send(Message message) {
    if (!channel.isActive()) {
      return;
    }
    if (!channel.isWritable() && pendingBytes() > limits.hardLimitBytes()) {
      cutOff("more than " + limits.hardLimitBytes() + " bytes wait for it");
      return;
    }
    channel.writeAndFlush(message, channel.voidPromise());
  }

  long pendingBytes() {
    ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
    return outbound == null ? 0 : outbound.totalPendingWriteBytes();
  }

  /** Disconnects a worker that does not read; only the first call logs and closes. */
  void cutOff(String why) {
    if (cutOff.compareAndSet(false, true)) {
      log.warn("worker at {} is not reading its output ({}); disconnecting it", remoteAddress(), why);
      channel.close(); // no close frame: it would only queue behind what the peer does not read
    }
  }

  @Override
  public void close(String reason) {
    if (channel.isActive()) {
      channel
          .writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE, reason))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public String remoteAddress() {
    return channel.remoteAddress() instanceof InetSocketAddress address
        ? address.getAddress().getHostAddress()
        : null;
  }

  @Override
  public boolean isWritable() {
    return channel.isWritable();
  }

  @Override
  public void whenWritable(Runnable task) {
    drainLock.lock();
    try {
      if (!channel.isWritable() && channel.isActive()) {
        drainTasks.add(task);
        return;
      }
    } finally {
      drainLock.unlock();
    }
    task.run();
  }

  /** The socket drained (or closed): runs the tasks that waited for it. */
  void drained() {
    List<Runnable> tasks;
    drainLock.lock();
    try {
      tasks = drainTasks;
      drainTasks = new ArrayList<>();
    } finally {
      drainLock.unlock();
    }
    tasks.forEach(Runnable::run);
  }
}
