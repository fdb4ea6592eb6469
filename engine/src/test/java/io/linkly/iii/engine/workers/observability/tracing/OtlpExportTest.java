package io.linkly.iii.engine.workers.observability.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.linkly.iii.protocol.Json;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spans reach a real OTLP receiver in the test, decoded with the official OTLP protobuf classes:
 * over HTTP/protobuf ({@code POST /v1/traces}) and over gRPC (a Netty HTTP/2 server decoding the
 * unary call's length-prefixed message). One click's trace arrives whole.
 */
class OtlpExportTest {

  @TempDir Path dir;
  private ClickPath path;
  private HttpServer httpReceiver;
  private EventLoopGroup grpcGroup;
  private final ConcurrentLinkedQueue<Span> received = new ConcurrentLinkedQueue<>();
  private final List<String> serviceNames = new CopyOnWriteArrayList<>();
  private final List<String> grpcPaths = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (path != null) {
      path.close();
    }
    if (httpReceiver != null) {
      httpReceiver.stop(0);
    }
    if (grpcGroup != null) {
      grpcGroup.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  private void collect(ExportTraceServiceRequest request) {
    for (ResourceSpans resource : request.getResourceSpansList()) {
      resource.getResource().getAttributesList().stream()
          .filter(a -> a.getKey().equals("service.name"))
          .forEach(a -> serviceNames.add(a.getValue().getStringValue()));
      for (ScopeSpans scope : resource.getScopeSpansList()) {
        received.addAll(scope.getSpansList());
      }
    }
  }

  private static String hex(ByteString id) {
    return HexFormat.of().formatHex(id.toByteArray());
  }

  /** Every span of the trace reached the receiver, and they form one tree under the request. */
  private void assertWholeTrace(String traceId) {
    await().atMost(java.time.Duration.ofSeconds(20))
        .until(() -> received.stream().filter(s -> hex(s.getTraceId()).equals(traceId)).count() == 10);
    List<Span> trace = received.stream().filter(s -> hex(s.getTraceId()).equals(traceId)).toList();
    Map<String, Span> byId = trace.stream().collect(Collectors.toMap(s -> hex(s.getSpanId()), s -> s));
    List<Span> roots = trace.stream().filter(s -> s.getParentSpanId().isEmpty()).toList();
    assertThat(roots).extracting(Span::getName).containsExactly("GET /s/:code");
    for (Span span : trace) {
      if (!span.getParentSpanId().isEmpty()) {
        assertThat(byId).as("the parent of %s was exported", span.getName()).containsKey(hex(span.getParentSpanId()));
      }
    }
    assertThat(trace).extracting(Span::getName)
        .contains("http::redirect", "link::resolve", "link::record_click", "publish", "click-streamer::broadcast", "stream::set", "ui::on_click");
    assertThat(serviceNames).contains("iii");
  }

  @Test
  void httpProtobufReceiverGetsTheClickWhole() throws Exception {
    httpReceiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    httpReceiver.createContext("/v1/traces", exchange -> {
      try (exchange) {
        collect(ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes()));
        byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
        exchange.getResponseHeaders().add("content-type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
        exchange.getResponseBody().write(answer);
      }
    });
    httpReceiver.start();
    String endpoint = "http://127.0.0.1:" + httpReceiver.getAddress().getPort() + "/v1/traces";
    path = new ClickPath(dir, Json.object().put("exporter", "both").put("endpoint", endpoint));
    assertWholeTrace(path.click("iii", null));
  }

  @Test
  void theSdksSpansFromOtelFramesAreExportedToo() throws Exception {
    int port = startGrpcReceiver();
    path = new ClickPath(dir, Json.object().put("exporter", "both").put("endpoint", "http://127.0.0.1:" + port));
    try (TraceWorker node = TraceWorker.connect(path.engine)) {
      node.raw.sendBinary(TracingTest.otlpFrame("iii-node", TracingTest.TRACE,
          TracingTest.span("0000000000000001", TracingTest.PARENT, "execute link::resolve", 1_000_000_000L, 1_030_000_000L, 2)));
      await().atMost(java.time.Duration.ofSeconds(20)).until(() -> received.stream().anyMatch(s -> s.getName().equals("execute link::resolve")));
    }
    Span forwarded = received.stream().filter(s -> s.getName().equals("execute link::resolve")).findFirst().orElseThrow();
    assertThat(hex(forwarded.getTraceId())).isEqualTo(TracingTest.TRACE);
    assertThat(hex(forwarded.getParentSpanId())).isEqualTo(TracingTest.PARENT);
    assertThat(forwarded.getStartTimeUnixNano()).isEqualTo(1_000_000_000L);
    assertThat(forwarded.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_INTERNAL);
    assertThat(forwarded.getStatus().getCode()).isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(serviceNames).contains("iii-node");
  }

  @Test
  void grpcReceiverGetsTheClickWhole() throws Exception {
    int port = startGrpcReceiver();
    path = new ClickPath(dir, Json.object().put("exporter", "otlp").put("endpoint", "http://127.0.0.1:" + port));
    assertWholeTrace(path.click("iii", null));
    assertThat(Set.copyOf(grpcPaths)).containsExactly("/opentelemetry.proto.collector.trace.v1.TraceService/Export");
  }

  @Test
  void anAbsentCollectorCostsSpansNotClicks() throws Exception {
    // nothing listens there: exports fail, and the batch processor drops what it cannot send
    path = new ClickPath(dir, Json.object().put("exporter", "both").put("endpoint", "http://127.0.0.1:1"));
    path.click("a", null);
    path.click("b", null);
  }

  /** A minimal OTLP/gRPC collector: h2c with prior knowledge, one unary Export per stream, answered OK. */
  private int startGrpcReceiver() throws InterruptedException {
    grpcGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Channel server =
        new ServerBootstrap()
            .group(grpcGroup)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(Http2FrameCodecBuilder.forServer().build())
                        .addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                          @Override
                          protected void initChannel(Http2StreamChannel stream) {
                            stream.pipeline().addLast(new ExportCall());
                          }
                        }));
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  private final class ExportCall extends SimpleChannelInboundHandler<Http2StreamFrame> {
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) throws Exception {
      boolean end = false;
      if (frame instanceof Http2HeadersFrame headers) {
        grpcPaths.add(String.valueOf(headers.headers().path()));
        assertThat(String.valueOf(headers.headers().get("content-type"))).isEqualTo("application/grpc");
        end = headers.isEndStream();
      } else if (frame instanceof Http2DataFrame data) {
        body.write(ByteBufUtil.getBytes(data.content()));
        end = data.isEndStream();
      }
      if (!end) {
        return;
      }
      byte[] bytes = body.toByteArray();
      int length = ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
      assertThat(bytes[0]).as("uncompressed").isZero();
      collect(ExportTraceServiceRequest.parseFrom(java.util.Arrays.copyOfRange(bytes, 5, 5 + length)));
      ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200").set("content-type", "application/grpc")));
      ByteBuf answer = Unpooled.buffer(5).writeByte(0).writeInt(0);
      ctx.write(new DefaultHttp2DataFrame(answer));
      ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().set("grpc-status", "0"), true));
    }
  }
}
