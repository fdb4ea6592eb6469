package io.linkly.iii.engine.net;

import io.linkly.iii.engine.core.Health;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A bound TCP listener whose connections all get the same pipeline. Closing it closes the
 * listening socket and every connection it accepted, so clients notice at once.
 */
public final class Listener implements AutoCloseable {

  private final Channel channel;
  private final ChannelGroup connections;

  private Listener(Channel channel, ChannelGroup connections) {
    this.channel = channel;
    this.connections = connections;
  }

  /**
   * Binds {@code host:port} (port 0 picks a free one) and installs {@code pipeline} per connection.
   * A port in use, a host that is not local and the like fail with a {@link BindException} whose
   * message is the reason alone, such as {@code address already in use}, for the caller to say
   * which worker and key it was.
   */
  public static Listener bind(Transport transport, String host, int port, Consumer<SocketChannel> pipeline)
      throws BindException {
    ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(transport.group())
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    connections.add(ch); // removed again automatically when it closes
                    pipeline.accept(ch);
                  }
                });
    ChannelFuture bound = bootstrap.bind(host, port).awaitUninterruptibly(); // the channel is closed on failure
    if (!bound.isSuccess()) {
      BindException failure = new BindException(reason(bound.cause()));
      failure.initCause(bound.cause());
      throw failure;
    }
    return new Listener(bound.channel(), connections);
  }

  /**
   * The operating system's words without the call around them: epoll says {@code bind(..) failed
   * with error(-98): Address already in use}, NIO {@code Address already in use}.
   */
  private static String reason(Throwable cause) {
    if (cause instanceof UnresolvedAddressException) {
      return "unknown host";
    }
    String message = cause.getMessage();
    if (message == null || message.isBlank()) {
      return cause.getClass().getSimpleName();
    }
    String last = message.substring(message.lastIndexOf(": ") + 1).strip();
    return last.isEmpty() ? message : Character.toLowerCase(last.charAt(0)) + last.substring(1);
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  public String host() {
    return ((InetSocketAddress) channel.localAddress()).getHostString();
  }

  /** Failing once the listening socket is gone. */
  public Health health() {
    return channel.isActive() ? Health.ok() : Health.failing("no longer listening");
  }

  /**
   * Stops accepting and lets the open connections finish what they are doing: each is sent
   * {@link #RETIRING} as a user event, which a protocol handler that knows it takes as "close once
   * idle"; whatever is still open after {@code grace} is closed.
   */
  public void retire(Duration grace) {
    channel.close().syncUninterruptibly();
    connections.forEach(c -> c.pipeline().fireUserEventTriggered(RETIRING));
    GlobalEventExecutor.INSTANCE.schedule(() -> connections.close(), grace.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The user event of {@link #retire}. */
  public static final Object RETIRING = new Object() {
    @Override
    public String toString() {
      return "listener retiring";
    }
  };

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
  }
}
