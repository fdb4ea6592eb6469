package io.linkly.app.auth;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Where the default browser token may be used: only on this machine. */
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
}
