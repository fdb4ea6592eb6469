package io.linkly.iii.engine.workers.observability.tracing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.Compressor;
import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcSenderConfig;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.MessageWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * OTLP/gRPC for the OpenTelemetry exporter without grpc-java or OkHttp: one unary call per export
 * over a Netty HTTP/2 connection (cleartext with prior knowledge for {@code http://}, TLS with ALPN
 * for {@code https://}), kept open and redialled when it drops. A gRPC message is a 5-byte prefix
 * (compressed flag, big-endian length) and the protobuf; the answer's status is in the trailers
 * ({@code grpc-status}, {@code grpc-message}).
 *
 * <p>The exporter's retry policy is not applied: a failed export is reported failed, and the batch
 * processor moves on to the next batch (side work degrades; it never waits on a collector).
 */
final class NettyGrpcSender implements GrpcSender {

  static final GrpcSenderProvider PROVIDER = NettyGrpcSender::new;

  private final URI endpoint;
  private final String path;
  private final long timeoutMs;
  private final Compressor compressor;
  private final GrpcSenderConfig config;
  private final EventLoopGroup group;
  private final SslContext ssl;
  private Channel connection; // on the event loop only

  NettyGrpcSender(GrpcSenderConfig config) {
    this.config = config;
    this.endpoint = config.getEndpoint();
    this.path = "/" + config.getFullMethodName();
    this.timeoutMs = Math.max(1, config.getTimeout().toMillis());
    this.compressor = config.getCompressor();
    this.group =
        new MultiThreadIoEventLoopGroup(
            1,
            r -> {
              Thread t = new Thread(r, "iii-otlp-grpc");
              t.setDaemon(true);
              return t;
            },
            NioIoHandler.newFactory());
    this.ssl = "https".equalsIgnoreCase(endpoint.getScheme()) ? tls() : null;
  }

  private static SslContext tls() {
    try {
      return SslContextBuilder.forClient()
          .applicationProtocolConfig(
              new ApplicationProtocolConfig(
                  ApplicationProtocolConfig.Protocol.ALPN,
                  ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                  ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                  ApplicationProtocolNames.HTTP_2))
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for the OTLP endpoint: " + e.getMessage(), e);
    }
  }

  private int port() {
    if (endpoint.getPort() > 0) {
      return endpoint.getPort();
    }
    return ssl != null ? 443 : 80;
  }

  @Override
  public void send(MessageWriter writer, Consumer<GrpcResponse> onResponse, Consumer<Throwable> onError) {
    ByteBuf body;
    try {
      body = frame(writer);
    } catch (IOException | RuntimeException e) {
      onError.accept(e);
      return;
    }
    Call call = new Call(onResponse, onError);
    group.next().execute(() -> dial(body, call));
  }

  /** The gRPC length-prefixed message, compressed when the exporter asks for it. */
  private ByteBuf frame(MessageWriter writer) throws IOException {
    byte[] message;
    if (compressor == null) {
      ByteArrayOutputStream raw = new ByteArrayOutputStream(Math.max(32, writer.getContentLength()));
      writer.writeMessage(raw);
      message = raw.toByteArray();
    } else {
      ByteArrayOutputStream packed = new ByteArrayOutputStream();
      try (OutputStream out = compressor.compress(packed)) {
        writer.writeMessage(out);
      }
      message = packed.toByteArray();
    }
    ByteBuf body = Unpooled.buffer(5 + message.length);
    body.writeByte(compressor == null ? 0 : 1);
    body.writeInt(message.length);
    body.writeBytes(message);
    return body;
  }

  private void dial(ByteBuf body, Call call) {
    if (connection != null && connection.isActive()) {
      open(connection, body, call);
      return;
    }
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, Math.max(1, config.getConnectTimeout().toMillis())))
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (ssl != null) {
                      ch.pipeline().addLast(ssl.newHandler(ch.alloc(), endpoint.getHost(), port()));
                    }
                    ch.pipeline()
                        .addLast(Http2FrameCodecBuilder.forClient().build())
                        .addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                  }
                });
    ChannelFuture connecting = bootstrap.connect(endpoint.getHost(), port());
    connection = connecting.channel();
    connecting.addListener(
        f -> {
          if (f.isSuccess()) {
            open(connecting.channel(), body, call);
          } else {
            body.release();
            call.failed(f.cause());
          }
        });
  }

  private void open(Channel parent, ByteBuf body, Call call) {
    new Http2StreamChannelBootstrap(parent)
        .handler(call)
        .open()
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                body.release();
                call.failed(f.cause());
                return;
              }
              Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
              call.deadline = stream.eventLoop().schedule(() -> call.timedOut(stream), timeoutMs, TimeUnit.MILLISECONDS);
              stream.write(new DefaultHttp2HeadersFrame(headers(), false));
              stream.writeAndFlush(new DefaultHttp2DataFrame(body, true))
                  .addListener(w -> {
                    if (!w.isSuccess()) {
                      call.failed(w.cause());
                      stream.close();
                    }
                  });
            });
  }

  private Http2Headers headers() {
    Http2Headers headers =
        new DefaultHttp2Headers()
            .method("POST")
            .scheme(ssl != null ? "https" : "http")
            .authority(endpoint.getHost() + ":" + port())
            .path(path);
    headers.set("content-type", "application/grpc");
    headers.set("te", "trailers");
    headers.set("grpc-timeout", timeoutMs + "m");
    headers.set("user-agent", "iii-engine-otlp");
    if (compressor != null) {
      headers.set("grpc-encoding", compressor.getEncoding());
    }
    if (config.getHeadersSupplier() != null) {
      Map<String, List<String>> extra = config.getHeadersSupplier().get();
      if (extra != null) {
        extra.forEach((name, values) -> values.forEach(v -> headers.add(name.toLowerCase(java.util.Locale.ROOT), v)));
      }
    }
    return headers;
  }

  @Override
  public CompletableResultCode shutdown() {
    CompletableResultCode done = new CompletableResultCode();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(f -> done.succeed());
    return done;
  }

  /** One unary call on its HTTP/2 stream: headers, data, trailers, then exactly one callback. */
  private static final class Call extends ChannelInboundHandlerAdapter {
    private final Consumer<GrpcResponse> onResponse;
    private final Consumer<Throwable> onError;
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private boolean done;
    private int httpStatus;
    ScheduledFuture<?> deadline;

    Call(Consumer<GrpcResponse> onResponse, Consumer<Throwable> onError) {
      this.onResponse = onResponse;
      this.onError = onError;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame frame) {
          Http2Headers headers = frame.headers();
          if (headers.status() != null) {
            httpStatus = Integer.parseInt(headers.status().toString());
          }
          CharSequence status = headers.get("grpc-status");
          if (status != null) {
            CharSequence message = headers.get("grpc-message");
            answer(ctx, GrpcStatusCode.fromValue(Integer.parseInt(status.toString().trim())), message == null ? null : message.toString());
          } else if (frame.isEndStream()) {
            answer(ctx, fromHttp(httpStatus), "HTTP " + httpStatus + " without a gRPC status");
          }
        } else if (msg instanceof Http2DataFrame frame) {
          ByteBuf content = frame.content();
          content.readBytes(data, content.readableBytes());
          if (frame.isEndStream()) {
            answer(ctx, fromHttp(httpStatus), "the collector ended the call without a gRPC status");
          }
        }
      } catch (IOException | RuntimeException e) {
        failed(e);
        ctx.close();
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void answer(ChannelHandlerContext ctx, GrpcStatusCode status, String description) {
      if (done) {
        return;
      }
      done = true;
      cancelDeadline();
      byte[] bytes = data.toByteArray();
      byte[] message = bytes.length >= 5 ? java.util.Arrays.copyOfRange(bytes, 5, bytes.length) : new byte[0];
      onResponse.accept(new Response(status, description, message));
      ctx.close();
    }

    void timedOut(Channel stream) {
      if (!done) {
        done = true;
        onResponse.accept(new Response(GrpcStatusCode.DEADLINE_EXCEEDED, "the collector did not answer in time", new byte[0]));
        stream.close();
      }
    }

    void failed(Throwable cause) {
      if (!done) {
        done = true;
        cancelDeadline();
        onError.accept(cause);
      }
    }

    private void cancelDeadline() {
      if (deadline != null) {
        deadline.cancel(false);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      failed(new IOException("the collector closed the call"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failed(cause);
      ctx.close();
    }

    /** gRPC's mapping of an HTTP status when no grpc-status came. */
    private static GrpcStatusCode fromHttp(int status) {
      return switch (status) {
        case 400 -> GrpcStatusCode.INTERNAL;
        case 401 -> GrpcStatusCode.UNAUTHENTICATED;
        case 403 -> GrpcStatusCode.PERMISSION_DENIED;
        case 404 -> GrpcStatusCode.UNIMPLEMENTED;
        case 429, 502, 503, 504 -> GrpcStatusCode.UNAVAILABLE;
        default -> GrpcStatusCode.UNKNOWN;
      };
    }
  }

  private record Response(GrpcStatusCode status, String description, byte[] message) implements GrpcResponse {
    @Override
    public GrpcStatusCode getStatusCode() {
      return status;
    }

    @Override
    public String getStatusDescription() {
      return description;
    }

    @Override
    public byte[] getResponseMessage() {
      return message;
    }
  }
}
