package io.linkly.app.visit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TrustedProxiesTest {

  @ParameterizedTest(name = "{0} via {1}: {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        // a trusted balancer: the address it forwarded for
        "10.0.0.5 | 203.0.113.7 | 203.0.113.7",
        // two trusted hops: the first address that is not a proxy of ours
        "10.0.0.5 | 203.0.113.7, 10.0.0.9 | 203.0.113.7",
        // what the client wrote itself is before the hop our proxy added: never believed
        "10.0.0.5 | 198.51.100.1, 203.0.113.7 | 203.0.113.7",
        // a peer that is no proxy of ours: its header is ignored
        "203.0.113.99 | 198.51.100.1 | 203.0.113.99",
        // garbage in the header: the nearest hop we can believe
        "10.0.0.5 | 203.0.113.7, not-an-ip | 10.0.0.5",
        // only proxies in the chain: the farthest of them
        "10.0.0.5 | 10.0.0.9 | 10.0.0.9",
        "10.0.0.5 | | 10.0.0.5",
        "::1 | 2001:db8::7 | 2001:db8::7",
      })
  void theClientIsTheNearestAddressThatIsNotATrustedProxy(String peer, String forwardedFor, String client) throws Exception {
    TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8, ::1");
    assertThat(proxies.client(peer, forwardedFor)).isEqualTo(client);
  }

  @Test
  void withoutTrustedProxiesTheHeaderIsIgnored() throws Exception {
    assertThat(TrustedProxies.parse("").client("10.0.0.5", "203.0.113.7")).isEqualTo("10.0.0.5");
    assertThat(TrustedProxies.NONE.client("127.0.0.1", "203.0.113.7")).isEqualTo("127.0.0.1");
  }

  @Test
  void rangesMatchTheirLeadingBitsOnly() throws Exception {
    TrustedProxies proxies = TrustedProxies.parse("192.168.1.128/25");
    assertThat(proxies.client("192.168.1.200", "203.0.113.7")).isEqualTo("203.0.113.7");
    assertThat(proxies.client("192.168.1.100", "203.0.113.7")).isEqualTo("192.168.1.100");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/33", "lb.internal", "10.0.0/8", "10.0.0.0/x", "::1/129"})
  void aBadEntryIsNamed(String entry) {
    assertThatThrownBy(() -> TrustedProxies.parse("127.0.0.1, " + entry))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LINKLY_TRUSTED_PROXIES")
        .hasMessageContaining(entry);
  }
}
