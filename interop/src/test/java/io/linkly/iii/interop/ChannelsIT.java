package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.ChannelReader;
import io.linkly.iii.sdk.ChannelWriter;
import io.linkly.iii.sdk.Iii;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Data channels with the published {@code iii-sdk@0.22.1} (PROTOCOL.md §7): upstream's own channel
 * tests ({@code data-channels.test.ts}, the readAll cases of {@code service-triggers.test.ts})
 * re-stated in {@code scenario.mjs upstream-channels} with the values they expect, and channels
 * across SDKs (Node writes, Java reads; Java writes and sends messages, Node reads).
 */
class ChannelsIT extends InteropTest {

  @Test
  void upstreamsChannelTestsAndCrossSdkChannelsPass() throws Exception {
    Iii java = javaWorker("java");
    java.registerFunction(
        "interop::channels::digest",
        (data, ctx) -> {
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          long size = 0;
          try (InputStream in = ChannelReader.from(data.get("reader"))) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
              sha.update(buffer, 0, n);
              size += n;
            }
          }
          return Map.of("size", size, "sha256", HexFormat.of().formatHex(sha.digest()));
        });
    java.registerFunction(
        "interop::channels::shout",
        (data, ctx) -> {
          try (ChannelWriter out = ChannelWriter.from(data.get("writer"))) {
            out.sendMessage("started");
            out.write(data.get("text").asText().toUpperCase().getBytes());
            out.sendMessage("finished");
          }
          return Map.of("runtime", "java");
        });
    awaitFunction("interop::channels::shout");

    NodeWorker node =
        node(
            "upstream-channels",
            "node",
            Map.of("JAVA_DIGEST", "interop::channels::digest", "JAVA_SHOUT", "interop::channels::shout"));
    List<JsonNode> cases = node.awaitCount("case", 6);
    Map<String, JsonNode> byName = new HashMap<>();
    cases.forEach(c -> byName.put(c.get("name").asText(), c));
    assertThat(cases).allSatisfy(c -> assertThat(c.has("error")).as("case %s failed: %s", c.get("name"), c).isFalse());

    assertJson(byName.get("stats").get("value"))
        .isEqualTo(json("{\"label\":\"metrics-batch\",\"count\":5,\"sum\":2567,\"average\":513.4,\"min\":12,\"max\":2048}"));

    JsonNode coordinator = byName.get("coordinator").get("value");
    String text = "The quick brown fox jumps over the lazy dog and then runs around the park";
    int words = text.split("\\s+").length;
    List<JsonNode> messages = List.copyOf(coordinator.withArray("messages").valueStream().toList());
    assertThat(messages).anySatisfy(m -> assertThat(m.get("type").asText()).isEqualTo("progress"));
    assertThat(messages.get(messages.size() - 1).get("type").asText()).isEqualTo("complete");
    assertThat(messages.get(messages.size() - 1).get("word_count").asInt()).isEqualTo(words);
    assertJson(coordinator.get("binary")).isEqualTo(json("{\"words\":[\"The\",\"quick\",\"brown\",\"fox\",\"jumps\"],\"total\":" + words + "}"));
    assertThat(coordinator.get("worker").get("status").asText()).isEqualTo("done");

    assertJson(byName.get("readall").get("value")).isEqualTo(json("{\"content\":\"Hello from readAll test!\",\"size\":24}"));
    JsonNode chunked = byName.get("readall-chunked").get("value");
    assertThat(chunked.get("content").asText()).isEqualTo("[1,2,3,4,5,6,7,8,9,10]");

    byte[] expected = new byte[1_500_000];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = (byte) ((i * 31 + 7) & 0xff);
    }
    JsonNode toJava = byName.get("to-java").get("value");
    assertThat(toJava.get("size").asLong()).isEqualTo(expected.length);
    assertThat(toJava.get("sha256").asText()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(expected)));

    JsonNode fromJava = byName.get("from-java").get("value");
    assertThat(fromJava.get("body").asText()).isEqualTo("SHOUT THIS");
    assertJson(fromJava.get("messages")).isEqualTo(json("[\"started\",\"finished\"]"));
    assertThat(fromJava.get("java").get("runtime").asText()).isEqualTo("java");

    assertThat(node.awaitExit(WAIT)).as("node exit\n%s", node.describe()).isZero();
    awaitNoPendingInvocations();
    org.awaitility.Awaitility.await("every channel freed").atMost(WAIT).until(() -> engine.channels().openCount() == 0);
  }
}
