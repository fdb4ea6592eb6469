package io.linkly.app.visit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {

  @Test
  void addressesWrittenAsDigitsAreRead() {
    assertThat(IpLiteral.bytes("203.0.113.7")).containsExactly(203, 0, 113, 7);
    assertThat(IpLiteral.bytes("2001:db8::1")).hasSize(16);
    assertThat(IpLiteral.bytes("fe80::1%eth0")).as("the zone is dropped").hasSize(16);
    assertThat(IpLiteral.bytes("::ffff:203.0.113.7")).as("IPv4-mapped").containsExactly(203, 0, 113, 7);
    assertThat(IpLiteral.isLoopback("127.0.0.2")).isTrue();
    assertThat(IpLiteral.isLoopback("::1")).isTrue();
    assertThat(IpLiteral.isLoopback("203.0.113.7")).isFalse();
  }

  /** Text InetAddress would otherwise hand to the resolver (999.1.1.1 is a name lookup to it). */
  @ParameterizedTest
  @ValueSource(strings = {"999.1.1.1", "1.2.3", "01.2.3.4", "lb.internal", "", "localhost", "1.2.3.4.5", "::g"})
  void anythingElseIsNoAddress(String text) {
    assertThat(IpLiteral.bytes(text)).isNull();
  }
}
