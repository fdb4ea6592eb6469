package io.linkly.app.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Where the default browser token may be used, and who may read the streams. */
class BrowserAuthTest {

  @ParameterizedTest
  @ValueSource(strings = {"", "127.0.0.1", "127.0.0.2", "::1", "localhost"})
  void theDefaultTokenServesThisMachine(String host) {
    assertThatCode(() -> BrowserAuth.checkExposure(host, BrowserAuth.DEFAULT_TOKEN)).doesNotThrowAnyException();
  }

  @Test
  void anyHostWithATokenOfItsOwn() {
    assertThatCode(() -> BrowserAuth.checkExposure("0.0.0.0", "a-long-random-string")).doesNotThrowAnyException();
    assertThatCode(() -> BrowserAuth.checkExposure(null, BrowserAuth.DEFAULT_TOKEN)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "::", "192.0.2.10"})
  void otherMachinesNeverWithTheDefaultToken(String host) {
    assertThatThrownBy(() -> BrowserAuth.checkExposure(host, BrowserAuth.DEFAULT_TOKEN))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LINKLY_BROWSER_TOKEN");
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:50000, , true",
    "0:0:0:0:0:0:0:1:50000, , true",
    "192.0.2.10:50000, , false",
    "192.0.2.10:50000, wrong, false",
    "192.0.2.10:50000, s3cret, true",
    "2001:db8:0:0:0:0:0:1:50000, , false",
  })
  void theClickFeedIsReadOnThisMachineOrWithTheToken(String addr, String token, boolean reader) {
    BrowserAuth auth = new BrowserAuth(null, "s3cret");
    ObjectNode input = JsonNodeFactory.instance.objectNode().put("addr", addr);
    if (token != null) {
      input.putObject("query_params").putArray("token").add(token);
    }
    Map<String, Object> result = auth.streamContext(input);
    assertThat(result).isEqualTo(Map.of("context", Map.of("reader", reader)));
    ObjectNode join = JsonNodeFactory.instance.objectNode();
    join.putObject("context").put("reader", reader);
    assertThat(BrowserAuth.vetJoin(join)).isEqualTo(reader ? Map.of() : Map.of("unauthorized", true));
  }

  @Test
  void aJoinWithoutAContextIsRefused() {
    assertThat(BrowserAuth.vetJoin(JsonNodeFactory.instance.objectNode().putNull("context"))).isEqualTo(Map.of("unauthorized", true));
  }
}
