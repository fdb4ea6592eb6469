package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.protocol.Json;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Data channels end to end: Java workers on both ends, the engine's relay in between. */
class ChannelTest {

  private IiiEngine engine;

  @BeforeEach
  void start() {
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  @ParameterizedTest
  @EnumSource(TestSupport.Link.class)
  void aHandlerReadsTheExactBytesAProducerStreamsToIt(TestSupport.Link link) throws Exception {
    try (Iii consumer = TestSupport.worker(engine, "consumer", link);
        Iii producer = TestSupport.worker(engine, "producer", link)) {
      consumer.registerFunction(
          "test::digest",
          (data, ctx) -> {
            try (InputStream in = ChannelReader.from(data.get("reader"))) {
              return Map.of("label", data.get("label").asText(), "sha256", sha256(in));
            }
          });
      TestSupport.sync(consumer);
      Channel channel = producer.createChannel();
      CompletableFuture<JsonNode> digest =
          producer.triggerAsync(TriggerRequest.of("test::digest", Map.of("label", "batch", "reader", channel.readerRef())));
      byte[] bytes = randomBytes(3 * 1024 * 1024 + 17, 1);
      try (OutputStream out = channel.writer()) {
        out.write(bytes, 0, 1000); // a short write, then the rest in one go
        out.write(bytes, 1000, bytes.length - 1000);
      }
      JsonNode result = digest.get(30, TimeUnit.SECONDS);
      assertThat(result.get("label").asText()).isEqualTo("batch");
      assertThat(result.get("sha256").asText()).isEqualTo(sha256(new java.io.ByteArrayInputStream(bytes)));
    }
    assertThat(engine.channels().openCount()).isZero();
  }

  /** A record field of type ChannelReader/ChannelWriter gets the live end, as Node's SDK does. */
  record Job(String label, ChannelReader input, ChannelWriter output) {}

  @Test
  void typedInputsGetLiveEndsAndMessagesTravelBesideTheBytesInOrder() throws Exception {
    try (Iii worker = TestSupport.worker(engine, "worker");
        Iii coordinator = TestSupport.worker(engine, "coordinator")) {
      worker.registerFunction(
          "test::words",
          Job.class,
          (job, ctx) -> {
            byte[] text = job.input().readAllBytes();
            try (ChannelWriter out = job.output()) {
              out.sendMessage("{\"type\":\"progress\",\"bytes\":" + text.length + "}");
              out.write(new String(text).toUpperCase().getBytes());
              out.sendMessage("{\"type\":\"complete\"}");
            }
            return Map.of("status", "done", "label", job.label());
          });
      TestSupport.sync(worker);
      Channel in = coordinator.createChannel();
      Channel out = coordinator.createChannel();
      List<String> messages = new CopyOnWriteArrayList<>();
      out.reader().onMessage(messages::add);
      CompletableFuture<JsonNode> call =
          coordinator.triggerAsync(
              TriggerRequest.of("test::words", Map.of("label", "w", "input", in.readerRef(), "output", out.writerRef())));
      try (OutputStream writer = in.writer()) {
        writer.write("the quick brown fox".getBytes());
      }
      byte[] answer = out.reader().readAllBytes();
      assertThat(new String(answer)).isEqualTo("THE QUICK BROWN FOX");
      assertThat(messages).containsExactly("{\"type\":\"progress\",\"bytes\":19}", "{\"type\":\"complete\"}");
      assertThat(call.get(10, TimeUnit.SECONDS).get("status").asText()).isEqualTo("done");
    }
  }

  @Test
  void aWriterThatFinishesBeforeTheReaderAttachesLosesNothing() throws Exception {
    try (Iii iii = TestSupport.worker(engine, "both")) {
      Channel channel = iii.createChannel(4);
      try (OutputStream out = channel.writer()) {
        out.write("written before anyone read".getBytes());
      }
      assertThat(new String(channel.reader().readAllBytes())).isEqualTo("written before anyone read");
    }
  }

  @Test
  void aReaderThatAttachesBeforeTheWriterWaitsForIt() throws Exception {
    try (Iii iii = TestSupport.worker(engine, "both")) {
      Channel channel = iii.createChannel();
      channel.reader().connect();
      CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
        try {
          return channel.reader().readAllBytes();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      Thread.sleep(200);
      assertThat(read).as("nothing written yet: the reader waits").isNotDone();
      try (OutputStream out = channel.writer()) {
        out.write("late writer".getBytes());
      }
      assertThat(new String(read.get(10, TimeUnit.SECONDS))).isEqualTo("late writer");
    }
  }

  @Test
  void aReaderThatGoesAwayFailsTheWriterInsteadOfSwallowingItsBytes() throws Exception {
    try (Iii iii = TestSupport.worker(engine, "both")) {
      Channel channel = iii.createChannel(2);
      InputStream reader = channel.reader();
      byte[] first = new byte[10];
      CompletableFuture<Void> writing =
          CompletableFuture.runAsync(
              () -> {
                try (OutputStream out = channel.writer()) {
                  byte[] chunk = new byte[ChannelWriter.FRAME_BYTES];
                  while (true) {
                    out.write(chunk);
                  }
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      assertThat(reader.read(first)).isPositive();
      reader.close();
      assertThatThrownBy(() -> writing.get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(java.io.UncheckedIOException.class)
          .hasMessageContaining("closed by the engine");
    }
    assertThat(engine.channels().openCount()).isZero();
  }

  @Test
  void anUnknownChannelIsAClearErrorNotAnEmptyStream() throws Exception {
    try (Iii iii = TestSupport.worker(engine, "both")) {
      Channel channel = iii.createChannel();
      ObjectNode forged = channel.readerRef().deepCopy().put("access_key", "wrong");
      ChannelReader reader = ChannelReader.from(new com.fasterxml.jackson.databind.node.POJONode(
          new ChannelReader(() -> java.net.URI.create(engine.workerUrl() + "/ws/channels/" + channel.readerRef().get("channel_id").asText()
              + "?key=wrong&dir=read"), forged)));
      assertThatThrownBy(reader::read).isInstanceOf(IOException.class).hasMessageContaining("no such channel end");
    }
  }

  @Test
  void refsAnywhereInAPayloadAreMaterialisedAndALiveEndSerialisesBackToItsRef() throws Exception {
    try (Iii iii = TestSupport.worker(engine, "both")) {
      List<String> seen = new ArrayList<>();
      iii.registerFunction(
          "test::inspect",
          (data, ctx) -> {
            ChannelReader nested = ChannelReader.from(data.get("jobs").get(0).get("reader"));
            seen.add(nested.getClass().getSimpleName());
            return Map.of("echo", data.get("jobs"));
          });
      TestSupport.sync(iii);
      Channel channel = iii.createChannel();
      JsonNode result = iii.trigger(TriggerRequest.of("test::inspect", Map.of("jobs", List.of(Map.of("reader", channel.readerRef())))));
      assertThat(seen).containsExactly("ChannelReader");
      assertThat(result.get("echo").get(0).get("reader")).isEqualTo(channel.readerRef());
      assertThatThrownBy(() -> ChannelReader.from(Json.object())).isInstanceOf(IiiException.class);
    }
  }

  /**
   * 200 MB through a 64-frame channel to a reader slower than the writer: the bytes arrive intact
   * and memory stays flat, because the writer is held back instead of the bytes piling up.
   */
  @Test
  void aLargeUploadToASlowReaderKeepsMemoryFlat() throws Exception {
    long total = 200L * 1024 * 1024;
    // paranoid leak tracking records every access to every buffer (unmasking a 64 KiB frame is
    // thousands): 200 MB would take minutes. Sampled tracking still reports a leak it samples.
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    try (Iii consumer = TestSupport.worker(engine, "consumer");
        Iii producer = TestSupport.worker(engine, "producer")) {
      AtomicLong peakGrowth = new AtomicLong();
      long baseline = memoryInUse();
      consumer.registerFunction(
          "test::slow-digest",
          (data, ctx) -> {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            try (InputStream in = ChannelReader.from(data.get("reader"))) {
              int n;
              while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
                read += n;
                if ((read / buffer.length) % 64 == 0) {
                  Thread.sleep(2); // slower than the writer
                  peakGrowth.accumulateAndGet(memoryInUse() - baseline, Math::max);
                }
              }
            }
            return Map.of("bytes", read, "sha256", HexFormat.of().formatHex(sha.digest()));
          });
      TestSupport.sync(consumer);
      Channel channel = producer.createChannel(64);
      CompletableFuture<JsonNode> digest =
          producer.triggerAsync(TriggerRequest.of("test::slow-digest", Map.of("reader", channel.readerRef())).withTimeout(java.time.Duration.ofSeconds(120)));
      MessageDigest sent = MessageDigest.getInstance("SHA-256");
      Random random = new Random(7);
      byte[] chunk = new byte[50_000]; // not a multiple of the frame size
      try (OutputStream out = channel.writer()) {
        for (long written = 0; written < total; written += chunk.length) {
          random.nextBytes(chunk);
          int n = (int) Math.min(chunk.length, total - written);
          sent.update(chunk, 0, n);
          out.write(chunk, 0, n);
        }
      }
      JsonNode result = digest.get(120, TimeUnit.SECONDS);
      assertThat(result.get("bytes").asLong()).isEqualTo(total);
      assertThat(result.get("sha256").asText()).isEqualTo(HexFormat.of().formatHex(sent.digest()));
      assertThat(peakGrowth.get()).as("heap + direct memory growth while streaming").isLessThan(64L * 1024 * 1024);
    } finally {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }
  }

  /** Heap after a collection plus direct memory (Netty's own and the JDK's). */
  private static long memoryInUse() {
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long jdkDirect =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(p -> p.getName().equals("direct"))
            .mapToLong(BufferPoolMXBean::getMemoryUsed)
            .sum();
    return heap + jdkDirect + io.netty.util.internal.PlatformDependent.usedDirectMemory();
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(InputStream in) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) > 0) {
      sha.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
