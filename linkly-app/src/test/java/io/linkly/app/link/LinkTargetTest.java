package io.linkly.app.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LinkTargetTest {

  @ParameterizedTest
  @CsvSource({
    "https://iii.dev, https://iii.dev",
    "http://iii.dev/docs/understanding-iii, http://iii.dev/docs/understanding-iii",
    "HTTPS://Example.com/a?b=c#d, HTTPS://Example.com/a?b=c#d",
    "example.com, https://example.com",
    "example.com:8080/x, https://example.com:8080/x",
    "'  https://iii.dev  ', https://iii.dev",
  })
  void acceptsHttpUrlsAndPrefixesSchemeLessOnes(String raw, String expected) {
    assertThat(LinkTarget.normalise(raw)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "javascript:alert(1)|must use http or https, not javascript:",
        "data:text/html,<b>x</b>|must use http or https, not data:",
        "ftp://files.example.com/x|must use http or https, not ftp:",
        "not a url|spaces or control characters",
        "https://|must name a host",
        "https:///path|must name a host",
      })
  void refusesWhatABrowserMustNotBeSentTo(String raw, String problem) {
    assertThatThrownBy(() -> LinkTarget.normalise(raw)).isInstanceOf(InvalidLinkException.class).hasMessageContaining(problem);
  }

  @ParameterizedTest
  @CsvSource({
    "https://ja.wikipedia.org/wiki/日本, https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC",
    "https://bücher.example/straße?q=é#ü, https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%A9#%C3%BC",
    "bücher.example, https://xn--bcher-kva.example",
    "https://ja.wikipedia.org/wiki/%E6%97%A5, https://ja.wikipedia.org/wiki/%E6%97%A5",
    "https://example.com:65535/x, https://example.com:65535/x",
    "https://example.com:1, https://example.com:1",
  })
  void storesAnAsciiUrlSoARedirectCanCarryIt(String raw, String expected) {
    assertThat(LinkTarget.normalise(raw)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "https://google.com@evil.com/|must not contain user info",
        "https://user:secret@example.com/|must not contain user info",
        "google.com@evil.com|must not contain user info",
        "https://example.com:99999/|invalid port 99999",
        "https://example.com:0/|invalid port 0",
        "https://example.com:65536|invalid port 65536",
        "example.com:99999/x|invalid port 99999",
        "https://example.com:http/|invalid port http",
        "https://example.com:99999999999999999999/|invalid port 99999999999999999999",
      })
  void refusesUserInfoAndInvalidPorts(String raw, String problem) {
    assertThatThrownBy(() -> LinkTarget.normalise(raw)).isInstanceOf(InvalidLinkException.class).hasMessageContaining(problem);
  }

  @Test
  void refusesControlCharactersAndEmptyInput() {
    assertThatThrownBy(() -> LinkTarget.normalise("https://iii.dev/\u0000x")).hasMessageContaining("control characters");
    assertThatThrownBy(() -> LinkTarget.normalise("https://iii.dev/\nx")).hasMessageContaining("control characters");
    assertThatThrownBy(() -> LinkTarget.normalise("")).hasMessageContaining("non-empty");
    assertThatThrownBy(() -> LinkTarget.normalise(null)).hasMessageContaining("non-empty");
  }

  @ParameterizedTest
  @ValueSource(strings = {"iii", "learn-iii", "A_b-9", "x"})
  void acceptsValidCodes(String code) {
    assertThat(ShortCode.validate(code)).isEqualTo(code);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "slash/y", "ünïcode", "dot.ted"})
  void refusesInvalidCodes(String code) {
    assertThatThrownBy(() -> ShortCode.validate(code)).isInstanceOf(InvalidLinkException.class);
  }

  @Test
  void refusesCodesLongerThan64() {
    assertThat(ShortCode.validate("a".repeat(64))).hasSize(64);
    assertThatThrownBy(() -> ShortCode.validate("a".repeat(65))).isInstanceOf(InvalidLinkException.class);
  }

  @Test
  void generatedCodesAreSixLowercaseAlphanumerics() {
    ShortCode codes = new ShortCode(new Random(7));
    for (int i = 0; i < 100; i++) {
      assertThat(codes.generate()).matches("[a-z0-9]{6}");
    }
  }
}
