package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.protocol.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The payload rules of upstream's `iii trigger` (BUILTINS.md §16). */
class TriggerPayloadTest {

  private static String build(List<String> tokens, String json) {
    return Json.write(TriggerPayload.build(tokens, json));
  }

  @Test
  void valuesAreJsonWhenTheyParseElseStrings() {
    assertThat(build(List.of("count=10", "ok=true", "x=null", "ids=[1,2]", "name=alice", "code=007", "group_id=123"), null))
        .isEqualTo("{\"count\":10,\"ok\":true,\"x\":null,\"ids\":[1,2],\"name\":\"alice\",\"code\":\"007\",\"group_id\":123}");
    assertThat(build(List.of("sql=SELECT COUNT(*) AS clicks FROM clicks WHERE code = 'iii'"), null))
        .isEqualTo("{\"sql\":\"SELECT COUNT(*) AS clicks FROM clicks WHERE code = 'iii'\"}");
    assertThat(build(List.of("q=a=b"), null)).as("split at the first =").isEqualTo("{\"q\":\"a=b\"}");
    assertThat(build(List.of("quoted=\"123\""), null)).isEqualTo("{\"quoted\":\"123\"}");
  }

  @Test
  void jsonAloneIsSentVerbatimAndPairsOverrideItsKeys() {
    assertThat(build(List.of(), null)).isEqualTo("{}");
    assertThat(build(List.of(), "[1,2]")).isEqualTo("[1,2]");
    assertThat(build(List.of("b=2"), "{\"a\":1,\"b\":1}")).isEqualTo("{\"a\":1,\"b\":2}");
  }

  @Test
  void badInputIsRefusedWithUpstreamsMessages() {
    assertThatThrownBy(() -> build(List.of("=x"), null)).hasMessage("payload key must not be empty");
    assertThatThrownBy(() -> build(List.of("novalue"), null)).hasMessage("expected key=value, got 'novalue'");
    assertThatThrownBy(() -> build(List.of(), "{nope")).hasMessage("--json: invalid JSON '{nope'");
    assertThatThrownBy(() -> build(List.of("a=1"), "[1]")).hasMessage("--json must be an object when combined with kv pairs");
  }
}
