package io.linkly.iii.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageCodec;
import io.linkly.iii.protocol.WorkerRegistered;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A scripted engine peer for wire-level tests: it accepts WebSocket connections, greets each with
 * {@code workerregistered}, and records every frame a worker sends. It is not our engine; it only
 * lets a test see and drive the exact frames.
 */
final class FakeEngine implements AutoCloseable {

  /** One accepted worker connection. */
  static final class Connection {
    final String workerId = UUID.randomUUID().toString();
    final String reattachToken = UUID.randomUUID().toString();
    final HttpHeaders requestHeaders;
    final Channel channel;
    final BlockingQueue<JsonNode> frames = new ArrayBlockingQueue<>(10_000);

    Connection(Channel channel, HttpHeaders requestHeaders) {
      this.channel = channel;
      this.requestHeaders = requestHeaders;
    }

    /** The next frame the worker sent, as JSON; fails the test after 10 s. */
    JsonNode next() throws InterruptedException {
      JsonNode frame = frames.poll(10, TimeUnit.SECONDS);
      if (frame == null) {
        throw new AssertionError("the worker sent no frame within 10 s");
      }
      return frame;
    }

    /** The next frame of the given type, skipping others (e.g. log calls). */
    JsonNode next(String type) throws InterruptedException {
      while (true) {
        JsonNode frame = next();
        if (frame.path("type").asText().equals(type)) {
          return frame;
        }
      }
    }

    JsonNode poll(long millis) throws InterruptedException {
      return frames.poll(millis, TimeUnit.MILLISECONDS);
    }

    void send(Message message) {
      sendText(CODEC.encodeToString(message));
    }

    void sendText(String json) {
      channel.writeAndFlush(new TextWebSocketFrame(json)).syncUninterruptibly();
    }

    /**
     * Stops reading the worker's frames: its output piles up in the sockets, then in the SDK.
     * Returns once the event loop has applied it (from another thread it is only scheduled).
     */
    void stopReading() {
      channel.eventLoop().submit(() -> channel.config().setAutoRead(false)).syncUninterruptibly();
    }

    void drop() {
      channel.close().syncUninterruptibly();
    }
  }

  private static final MessageCodec CODEC = new MessageCodec();

  private final EventLoopGroup group;
  private final Channel server;
  private final BlockingQueue<Connection> accepted = new ArrayBlockingQueue<>(100);
  private final List<Connection> all = new CopyOnWriteArrayList<>();

  FakeEngine() {
    this(false);
  }

  /** {@code paused}: connections wait in the kernel's backlog until {@link #resume()}. */
  FakeEngine(boolean paused) {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.AUTO_READ, !paused)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(65536))
                        .addLast(new WebSocketServerProtocolHandler("/", null, false, 1 << 26))
                        .addLast(new Recorder());
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
  }

  void resume() {
    server.config().setAutoRead(true);
  }

  String url() {
    return "ws://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** The next connection a worker opens; fails the test after 10 s. */
  Connection accept() throws InterruptedException {
    Connection c = accepted.poll(10, TimeUnit.SECONDS);
    if (c == null) {
      throw new AssertionError("no worker connected within 10 s");
    }
    return c;
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    for (Connection c : all) {
      c.channel.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Recorder extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    private Connection connection;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof HandshakeComplete hs) {
        connection = new Connection(ctx.channel(), hs.requestHeaders());
        all.add(connection);
        connection.send(new WorkerRegistered(connection.workerId, connection.reattachToken));
        accepted.add(connection);
      } else {
        super.userEventTriggered(ctx, evt);
      }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame)
        throws Exception {
      String text = frame.content().toString(StandardCharsets.UTF_8);
      connection.frames.add(Json.mapper().readTree(text));
    }
  }
}
