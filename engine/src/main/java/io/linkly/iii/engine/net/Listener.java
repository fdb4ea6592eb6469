package io.linkly.iii.engine.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** A bound TCP listener whose connections all get the same pipeline. */
public final class Listener implements AutoCloseable {

  private final Channel channel;

  private Listener(Channel channel) {
    this.channel = channel;
  }

  /** Binds {@code host:port} (port 0 picks a free one) and installs {@code pipeline} per connection. */
  public static Listener bind(Transport transport, String host, int port, Consumer<SocketChannel> pipeline) {
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
                    pipeline.accept(ch);
                  }
                });
    Channel channel = bootstrap.bind(host, port).syncUninterruptibly().channel();
    return new Listener(channel);
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  public String host() {
    return ((InetSocketAddress) channel.localAddress()).getHostString();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
