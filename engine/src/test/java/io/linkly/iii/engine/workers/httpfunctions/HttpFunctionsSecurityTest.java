package io.linkly.iii.engine.workers.httpfunctions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.Json;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pieces of the security policy that need no endpoint: which addresses are private, how the
 * allowlist's globs match, what the URL check says, and the request signature.
 */
class HttpFunctionsSecurityTest {

  private static boolean isPrivate(String literal) throws Exception {
    return PrivateAddresses.isPrivate(InetAddress.getByName(literal)); // literals: no lookup
  }

  @Test
  void privateAddressesAreUpstreamsSet() throws Exception {
    for (String blocked :
        List.of(
            "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "255.255.255.255", "192.0.2.1", "198.51.100.7", "203.0.113.9", "0.0.0.0", "::1", "::", "fd00::1", "fc00::1",
            "fe80::1", "febf::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1")) {
      assertThat(isPrivate(blocked)).as(blocked).isTrue();
    }
    for (String open : List.of("8.8.8.8", "1.1.1.1", "172.32.0.1", "100.64.0.1", "2001:4860:4860::8888", "2606:4700:4700::1111", "fec0::1")) {
      assertThat(isPrivate(open)).as(open).isFalse();
    }
  }

  @Test
  void allowlistGlobsMatchHostsAsUpstreams() {
    assertThat(HostPattern.compile("*").matches("anything.example.com")).isTrue();
    HostPattern sub = HostPattern.compile("*.example.com");
    assertThat(sub.matches("api.example.com")).isTrue();
    assertThat(sub.matches("a.b.example.com")).isTrue();
    assertThat(sub.matches("example.com")).isFalse();
    assertThat(HostPattern.compile("api.example.com").matches("apixexample.com")).isFalse(); // dots are literal
    assertThat(HostPattern.compile("127.0.0.?").matches("127.0.0.1")).isTrue();
    assertThat(HostPattern.compile("host[0-9]").matches("host7")).isTrue();
    assertThat(HostPattern.compile("host[!0-9]").matches("host7")).isFalse();
    assertThat(HostPattern.compile("[]]x").matches("]x")).isTrue();
    assertThatThrownBy(() -> HostPattern.compile("[invalid")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostPattern.compile("***")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostPattern.compile("a**")).isInstanceOf(IllegalArgumentException.class);
  }

  private static String refusal(UrlPolicy policy, String url) {
    try {
      policy.check(url);
      return "accepted";
    } catch (InvocationException e) {
      assertThat(e.error().code()).isEqualTo("url_validation_failed");
      return e.error().message();
    }
  }

  @Test
  void theUrlCheckSaysWhatUpstreamSays() {
    UrlPolicy strict = new UrlPolicy(HttpFunctionsConfig.defaults());
    assertThat(refusal(strict, "not a url at all")).isEqualTo("Invalid URL");
    assertThat(refusal(strict, "example.com/hook")).isEqualTo("Invalid URL");
    assertThat(refusal(strict, "http://8.8.8.8/hook")).isEqualTo("HTTPS is required");
    assertThat(refusal(strict, "https://127.0.0.1:8080/internal")).isEqualTo("Private IP blocked");
    assertThat(refusal(strict, "https://[::ffff:127.0.0.1]/")).isEqualTo("Private IP blocked");
    assertThat(refusal(strict, "https://[::1]/")).isEqualTo("Private IP blocked");
    assertThat(refusal(strict, "https://10.0.0.1/api")).isEqualTo("Private IP blocked");
    assertThat(refusal(strict, "https://8.8.8.8/api")).isEqualTo("accepted"); // checked, never called
    assertThat(strict.needsLookup("https://8.8.8.8/api")).isFalse();
    assertThat(strict.needsLookup("https://hooks.example.com/api")).isTrue();

    UrlPolicy listed = new UrlPolicy(new HttpFunctionsConfig(List.of(HostPattern.compile("api.example.com")), false, false));
    assertThat(refusal(listed, "http://evil.example.net/hook")).isEqualTo("URL not in allowlist");
    assertThat(refusal(listed, "http://API.EXAMPLE.COM/hook")).isEqualTo("accepted"); // hosts compare lower-cased
    assertThat(listed.needsLookup("http://api.example.com/hook")).isFalse(); // private addresses allowed: no lookup
  }

  @Test
  void everyCallIsCheckedAgainBeforeAnythingIsSent() throws Exception {
    // a function that passed a lenient check, called through an invoker whose policy refuses it now
    // (as when a name has come to resolve to a private address since the registration)
    try (Endpoint endpoint = new Endpoint();
        var blocking = Executors.newVirtualThreadPerTaskExecutor();
        var timers = Executors.newSingleThreadScheduledExecutor();
        HttpInvoker invoker = new HttpInvoker(new UrlPolicy(HttpFunctionsConfig.defaults()), blocking, timers, Clock.systemUTC())) {
      HttpEndpoint target = HttpEndpoint.parse(Json.object().put("url", endpoint.url("/x")));
      assertThatThrownBy(() -> invoker.invoke("hooks::x", target, null, Json.object()).get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(InvocationException.class)
          .hasMessageContaining("url_validation_failed: HTTPS is required");
      assertThat(endpoint.next(Duration.ofMillis(200))).isNull();
    }
  }

  @Test
  void theSignatureIsHmacSha256OfTimestampAndBase64Body() {
    byte[] body = "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8);
    // computed apart: printf '1700000000:eyJoZWxsbyI6IndvcmxkIn0=' | openssl dgst -sha256 -hmac secret
    assertThat(RequestSignature.sign(body, "secret", 1_700_000_000L))
        .isEqualTo("sha256=d0490163db52084b80eebdd46f07171996db9c1a1c4934485373495c9f3bbda0");
    // an empty secret still signs (upstream accepts an empty variable)
    assertThat(RequestSignature.sign(body, "", 1_700_000_000L))
        .isEqualTo("sha256=927289c4eab0f9bebf3d0bc5dc0993b5fb0a9cd4a8b85e621211677a038c3814");
  }
}
