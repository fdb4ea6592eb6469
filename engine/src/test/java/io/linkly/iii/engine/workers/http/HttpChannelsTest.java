package io.linkly.iii.engine.workers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.protocol.Json;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * iii-http over data channels (BUILTINS.md §9.3, PROTOCOL.md §6.5): handlers read the request's
 * body from {@code request_body} and stream their answer into {@code response}, attaching both
 * over {@code /ws/channels} with a real WebSocket client; and no channel outlives its request.
 */
class HttpChannelsTest {

  private IiiEngine engine;
  private Worker functions;
  private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient client = HttpClient.newHttpClient();

  private void start(long defaultTimeoutMs) throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral().withSetting("iii-http", "default_timeout", Json.toTree(defaultTimeoutMs)));
    functions = engine.core().registerBuiltinWorker("test-functions");
  }

  @AfterEach
  void stop() {
    if (engine != null) {
      engine.close();
    }
    handlers.shutdownNow();
  }

  /** A handler on a thread of its own, free to block on its channels as a remote worker would. */
  private void handler(String id, BuiltinFunction.SyncBody body) {
    engine.core().registerFunction(functions, FunctionDefinition.of(id, "test"), BuiltinFunction.blocking(handlers, body));
  }

  private void route(String id, String method, String path, String function) {
    ObjectNode config = Json.object().put("api_path", path).put("http_method", method);
    assertThat(engine.core().registerTrigger(new TriggerBinding(id, "http", function, config, null, null))).isEmpty();
  }

  /** A request with a generous deadline, so a broken engine fails the test instead of hanging it. */
  private static HttpRequest.Builder request(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(90));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + engine.port("iii-http").orElseThrow() + path);
  }

  private void assertNoChannelsLeft() {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(engine.channels().openCount()).isZero());
  }

  private static JsonNode parse(String json) {
    try {
      return Json.mapper().readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  /** A handler that reads all of request_body and answers with what it got, and the request's parsed body. */
  private BuiltinFunction.SyncBody readsTheBody() {
    return call -> {
      ChannelEnd body = ChannelEnd.reader(engine.workerUrl(), call.data().get("request_body"));
      int code = body.closed().orTimeout(60, TimeUnit.SECONDS).join();
      ObjectNode got = Json.object().put("sha256", body.sha256()).put("length", body.length()).put("close", code);
      got.put("text", body.text());
      got.set("parsed", call.data().get("body"));
      return Json.object().set("body", got);
    };
  }

  // ------------------------------------------------------------------ request bodies

  @Test
  void aStreamedCsvUploadAndAJsonBodyArriveExactlyInRequestBody() throws Exception {
    start(30_000);
    handler("up::read", readsTheBody());
    route("a", "POST", "/upload", "up::read");

    StringBuilder csv = new StringBuilder("id,url,clicks\n");
    for (int i = 0; csv.length() < 5 * 1024 * 1024; i++) {
      csv.append(i).append(",https://example.com/").append(Integer.toHexString(i * 7919)).append(',').append(i % 97).append('\n');
    }
    byte[] upload = csv.toString().getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> response =
        client.send(
            request(uri("/upload")).header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode got = parse(response.body());
    assertThat(got.get("length").asLong()).isEqualTo(upload.length);
    assertThat(got.get("sha256").asText()).isEqualTo(ChannelEnd.sha256(upload));
    assertThat(got.get("close").asInt()).as("end of stream").isEqualTo(1000);
    assertThat(got.get("parsed").isNull()).as("only JSON is parsed").isTrue();

    String json = "{\"links\":[" + "{\"code\":\"abc\",\"url\":\"https://iii.dev/ü\"},".repeat(2000) + "{}]}";
    HttpResponse<String> jsonResponse =
        client.send(
            request(uri("/upload")).header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode gotJson = parse(jsonResponse.body());
    assertThat(gotJson.get("text").asText()).as("the raw bytes").isEqualTo(json);
    assertThat(gotJson.get("parsed")).as("and the parsed body").isEqualTo(parse(json));
    assertNoChannelsLeft();
  }

  @Test
  void urlencodedAndMultipartBodiesArriveRawAndComplete() throws Exception {
    start(30_000);
    handler("up::read", readsTheBody());
    route("a", "POST", "/form", "up::read");

    String form = "name=J%C3%BCrgen+M&url=https%3A%2F%2Fiii.dev%2F%3Fa%3D1%26b%3D2&empty=&note=" + "x".repeat(100_000);
    HttpResponse<String> urlencoded =
        client.send(
            request(uri("/form")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(parse(urlencoded.body()).get("text").asText()).isEqualTo(form);
    assertThat(parse(urlencoded.body()).get("parsed").isNull()).isTrue();

    String boundary = "----linkly" + Long.toHexString(System.nanoTime());
    ByteArrayOutputStream multipart = new ByteArrayOutputStream();
    multipart.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nmy links\r\n").getBytes(StandardCharsets.UTF_8));
    multipart.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"links.bin\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 300_000; i++) {
      multipart.write(i * 31 + (i >> 8)); // every byte value, CR and LF included
    }
    multipart.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    byte[] body = multipart.toByteArray();
    HttpResponse<String> response =
        client.send(
            request(uri("/form")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(parse(response.body()).get("length").asLong()).isEqualTo(body.length);
    assertThat(parse(response.body()).get("sha256").asText()).isEqualTo(ChannelEnd.sha256(body));
    assertNoChannelsLeft();
  }

  @Test
  void aStreamedUploadThatExpects100ContinueGetsItOrItsAnswerAtOnce() throws Exception {
    start(30_000);
    handler("up::read", readsTheBody());
    route("a", "POST", "/upload", "up::read");
    String head = "Host: x\r\nContent-Type: text/csv\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
    try (RawHttp http = RawHttp.connect(engine.port("iii-http").orElseThrow())) {
      assertThat(http.send("POST /upload HTTP/1.1\r\n" + head).read().status()).isEqualTo(100);
      RawHttp.Response response = http.send("a,b,c").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.json().get("text").asText()).isEqualTo("a,b,c");
    }
    try (RawHttp http = RawHttp.connect(engine.port("iii-http").orElseThrow())) {
      RawHttp.Response refused = http.send("POST /nowhere HTTP/1.1\r\n" + head).read();
      assertThat(refused.status()).as("answered without waiting for a body it never asked for").isEqualTo(404);
      assertThat(http.closedByServer()).isTrue();
    }
    assertNoChannelsLeft();
  }

  @Test
  void aHundredMegabyteUploadThroughASlowReaderKeepsTheEnginesMemoryFlat() throws Exception {
    start(120_000);
    handler("up::slow", call -> {
      ChannelEnd body = ChannelEnd.slowReader(engine.workerUrl(), call.data().get("request_body"), 1);
      body.closed().orTimeout(120, TimeUnit.SECONDS).join();
      return Json.object().set("body", Json.object().put("sha256", body.sha256()).put("length", body.length()));
    });
    route("a", "POST", "/big", "up::slow");

    long size = 100L * 1024 * 1024;
    GeneratedBody upload = new GeneratedBody(size);
    AtomicLong peak = new AtomicLong();
    long baseline = directMemory();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler = Thread.ofPlatform().daemon().start(() -> {
      while (sampling.get()) {
        peak.accumulateAndGet(directMemory() - baseline, Math::max);
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    HttpResponse<String> response =
        client.send(
            request(uri("/big")).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> upload)).build(),
            HttpResponse.BodyHandlers.ofString());
    sampling.set(false);
    sampler.join();

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode got = parse(response.body());
    assertThat(got.get("length").asLong()).isEqualTo(size);
    assertThat(got.get("sha256").asText()).isEqualTo(upload.sha256());
    assertThat(peak.get()).as("direct memory growth while 100 MiB went through").isLessThan(64L * 1024 * 1024);
    assertNoChannelsLeft();
  }

  @Test
  void aClientThatStopsReadingStopsTheResponseChannelBeingDrainedAndResumesIt() throws Exception {
    start(30_000);
    long size = 16L * 1024 * 1024; // more than the client's socket, our outbound buffer and the channel hold
    AtomicReference<String> sent = new AtomicReference<>();
    AtomicReference<JsonNode> responseRef = new AtomicReference<>();
    handler("down::big", call -> {
      JsonNode ref = call.data().get("response");
      responseRef.set(ref);
      handlers.execute(() -> {
        ChannelEnd out = ChannelEnd.writer(engine.workerUrl(), ref);
        try {
          GeneratedBody data = new GeneratedBody(size);
          byte[] chunk = new byte[64 * 1024];
          int n;
          while ((n = data.read(chunk, 0, chunk.length)) > 0) {
            out.binary(n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n));
          }
          sent.set(data.sha256());
          out.end();
        } catch (Exception e) {
          sent.set("failed: " + e);
        }
      });
      return null;
    });
    route("a", "GET", "/big", "down::big");

    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(64 * 1024); // so the kernel cannot hide a client that stops reading
      socket.setSoTimeout(60_000); // a safety net, not a timing assertion
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", engine.port("iii-http").orElseThrow()));
      socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      // the client reads nothing: the engine stops taking frames, so they wait in the channel until it is full
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        JsonNode ref = responseRef.get();
        return ref != null
            && engine.channels().find(ref.get("channel_id").asText(), ref.get("access_key").asText())
                .map(c -> c.buffered() >= io.linkly.iii.engine.channels.DataChannels.DEFAULT_CAPACITY).orElse(false);
      });
      // then it reads it all: the channel is drained again, to the last byte
      InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
      String line;
      while (!(line = asciiLine(in)).isEmpty()) {
        assertThat(line).doesNotStartWithIgnoringCase("content-length");
      }
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      long received = 0;
      int chunk;
      while ((chunk = Integer.parseInt(asciiLine(in), 16)) > 0) {
        byte[] data = in.readNBytes(chunk);
        digest.update(data);
        received += data.length;
        asciiLine(in);
      }
      assertThat(received).isEqualTo(size);
      assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(sent.get());
    }
    assertNoChannelsLeft();
  }

  private static String asciiLine(InputStream in) throws java.io.IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  /** Direct memory in use by Netty's allocators (and its own counter, when it keeps one). */
  private static long directMemory() {
    long used = Math.max(0, PlatformDependent.usedDirectMemory());
    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider metrics) {
      used += metrics.metric().usedDirectMemory();
    }
    if (ByteBufAllocator.DEFAULT != PooledByteBufAllocator.DEFAULT) {
      used += PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
    }
    return used;
  }

  /** {@code size} pseudo-random bytes made as they are read, hashed on the way. */
  private static final class GeneratedBody extends InputStream {
    private final long size;
    private final MessageDigest digest;
    private long sent;
    private long state = 0x9E3779B97F4A7C15L;

    GeneratedBody(long size) throws Exception {
      this.size = size;
      this.digest = MessageDigest.getInstance("SHA-256");
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (sent >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - sent);
      for (int i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >>> 7;
        state ^= state << 17;
        b[off + i] = (byte) state;
      }
      digest.update(b, off, n);
      sent += n;
      return n;
    }

    String sha256() {
      return HexFormat.of().formatHex(digest.digest());
    }
  }

  // ------------------------------------------------------------------ streamed answers

  @Test
  void aHandlerThatReturnsNullStreamsStatusHeadersAndBody() throws Exception {
    start(30_000);
    // binary frames first, the (null) result after them
    handler("down::first", call -> {
      streamHello(call.data().get("response"));
      return null;
    });
    // the (null) result first, the frames after it
    handler("down::later", call -> {
      JsonNode ref = call.data().get("response");
      handlers.execute(() -> streamHello(ref));
      return null;
    });
    route("a", "GET", "/first", "down::first");
    route("b", "GET", "/later", "down::later");
    for (String path : new String[] {"/first", "/later"}) {
      HttpResponse<String> response = client.send(request(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(path).isEqualTo(201);
      assertThat(response.headers().firstValue("content-type")).as(path).hasValue("text/plain; charset=utf-8");
      assertThat(response.headers().firstValue("x-stream")).as(path).hasValue("yes");
      assertThat(response.headers().firstValue("x-replaced")).as(path).hasValue("second");
      assertThat(response.headers().firstValue("content-length")).as("chunked").isEmpty();
      assertThat(response.body()).as(path).isEqualTo("hello, streamed world");
    }
    try (RawHttp http = RawHttp.connect(engine.port("iii-http").orElseThrow())) {
      RawHttp.Response head = http.send("HEAD /first HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
      assertThat(head.status()).isEqualTo(201);
      assertThat(head.header("x-stream")).isEqualTo("yes");
      // had the streamed body (or a chunk of it) followed the HEAD answer, this would read it instead
      RawHttp.Response next = http.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(next.status()).isEqualTo(404);
    }
    assertNoChannelsLeft();
  }

  private void streamHello(JsonNode ref) {
    ChannelEnd out = ChannelEnd.writer(engine.workerUrl(), ref);
    out.text("{\"type\":\"set_status\",\"status_code\":201}")
        .text("{\"type\":\"set_headers\",\"headers\":{\"content-type\":\"text/plain; charset=utf-8\",\"x-replaced\":\"first\"}}")
        .text("{\"type\":\"set_headers\",\"headers\":{\"x-stream\":\"yes\",\"X-Replaced\":\"second\"}}")
        .binary("hello, ")
        .binary("streamed ")
        .binary("world")
        .end();
  }

  @Test
  void serverSentEventsReachTheClientOneAtATimeAndOutliveTheRequestTimeout() throws Exception {
    start(1000);
    int events = 3;
    List<CountDownLatch> received = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      received.add(new CountDownLatch(1));
    }
    AtomicReference<String> problem = new AtomicReference<>();
    handler("sse::events", call -> {
      JsonNode ref = call.data().get("response");
      handlers.execute(() -> {
        ChannelEnd out = ChannelEnd.writer(engine.workerUrl(), ref);
        out.text("{\"type\":\"set_headers\",\"headers\":{\"content-type\":\"text/event-stream\",\"cache-control\":\"no-cache\"}}");
        try {
          for (int i = 0; i < events; i++) {
            out.binary("id: " + i + "\ndata: event " + i + "\n\n");
            if (!received.get(i).await(10, TimeUnit.SECONDS)) {
              problem.set("event " + i + " had not reached the client before the next one was due");
              break;
            }
            if (i == 0) {
              Thread.sleep(1500); // longer than default_timeout: a started stream is not cut
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        out.end();
      });
      return null;
    });
    route("a", "GET", "/events", "sse::events");

    HttpResponse<Stream<String>> response = client.send(request(uri("/events")).build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
    List<String> data = new ArrayList<>();
    response.body().forEach(line -> {
      if (line.startsWith("data: ")) {
        data.add(line);
        received.get(data.size() - 1).countDown();
      }
    });
    assertThat(problem.get()).isNull();
    assertThat(data).containsExactly("data: event 0", "data: event 1", "data: event 2");
    assertNoChannelsLeft();
  }

  @Test
  void aNullResultWithNothingStreamedIs504AtTheTimeout() throws Exception {
    start(300);
    handler("down::silent", call -> null);
    route("a", "GET", "/silent", "down::silent");
    HttpResponse<String> response = client.send(request(uri("/silent")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(parse(response.body()).path("error").path("code").asText()).isEqualTo("GATEWAY_TIMEOUT");
    assertNoChannelsLeft();
  }

  @Test
  void aClientThatDisconnectsMidDownloadCutsOffTheHandlersWriter() throws Exception {
    start(30_000);
    CompletableFuture<Integer> writerClosed = new CompletableFuture<>();
    AtomicLong written = new AtomicLong();
    handler("down::endless", call -> {
      JsonNode ref = call.data().get("response");
      handlers.execute(() -> {
        ChannelEnd out = ChannelEnd.writer(engine.workerUrl(), ref);
        out.text("{\"type\":\"set_headers\",\"headers\":{\"content-type\":\"application/octet-stream\"}}");
        byte[] chunk = new byte[64 * 1024];
        try {
          while (!out.closed().isDone() && written.get() < 1024L * 1024 * 1024) {
            out.binary(chunk);
            written.addAndGet(chunk.length);
          }
        } catch (RuntimeException sendFailed) {
          // the engine closed this end under a pending send
        }
        writerClosed.complete(out.closed().completeOnTimeout(-2, 10, TimeUnit.SECONDS).join());
      });
      return null;
    });
    route("a", "GET", "/endless", "down::endless");

    try (Socket socket = new Socket("127.0.0.1", engine.port("iii-http").orElseThrow())) {
      socket.setSoTimeout(30_000); // a safety net, not a timing assertion
      OutputStream out = socket.getOutputStream();
      out.write("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader head = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1), 1);
      assertThat(head.readLine()).isEqualTo("HTTP/1.1 200 OK");
      long read = 0;
      char[] buffer = new char[8192];
      while (read < 1024 * 1024) {
        read += head.read(buffer);
      }
    }
    assertThat(writerClosed.get(20, TimeUnit.SECONDS)).as("the engine closed the handler's writer").isNotEqualTo(-2);
    assertThat(written.get()).as("the handler stopped long before its gigabyte").isLessThan(512L * 1024 * 1024);
    assertNoChannelsLeft();
  }
}
