package io.linkly.app.visit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The parts of a visit Linkly keeps: user agent readings, referrer hosts, anonymised addresses. */
class VisitPartsTest {

  private final UserAgents agents = new UserAgents();

  @Test
  void browsersOperatingSystemsAndDeviceTypesAreRead() {
    assertThat(agents.parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"))
        .isEqualTo(new UserAgents.Agent("Chrome", "Windows", "desktop", false));
    assertThat(agents.parse("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"))
        .isEqualTo(new UserAgents.Agent("Mobile Safari", "iOS", "mobile", false));
    assertThat(agents.parse("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1").device())
        .isEqualTo("tablet");
    assertThat(agents.parse("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36").device())
        .isEqualTo("mobile");
    assertThat(agents.parse("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7; rv:121.0) Gecko/20100101 Firefox/121.0"))
        .isEqualTo(new UserAgents.Agent("Firefox", "Mac OS X", "desktop", false));
  }

  @Test
  void crawlersAreBotsAndCommandLineClientsAreNot() {
    assertThat(agents.parse("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)").bot()).isTrue();
    assertThat(agents.parse("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)").bot()).isTrue();
    assertThat(agents.parse("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)").device()).isEqualTo("bot");
    assertThat(agents.parse("curl/8.4.0").bot()).as("the tutorial clicks with curl").isFalse();
    assertThat(agents.parse(null)).isEqualTo(new UserAgents.Agent("Other", "Other", "other", false));
  }

  @Test
  void aVeryLongUserAgentIsCutBeforeItIsRead() {
    UserAgents.Agent agent = agents.parse("Googlebot/2.1 " + "x".repeat(100_000));
    assertThat(agent.bot()).isTrue();
  }

  @Test
  void onlyTheReferrersHostIsKept() {
    assertThat(Referrers.host("https://news.ycombinator.com/item?id=1")).isEqualTo("news.ycombinator.com");
    assertThat(Referrers.host("HTTP://User:Secret@Example.COM:8080/path")).isEqualTo("example.com");
    assertThat(Referrers.host("https://[2001:db8::1]:443/")).isEqualTo("[2001:db8::1]");
    assertThat(Referrers.host("android-app://com.google.android.gm/")).isNull();
    assertThat(Referrers.host("https://exa mple.com/")).isNull();
    assertThat(Referrers.host("not a url")).isNull();
    assertThat(Referrers.host(null)).isNull();
  }

  @Test
  void addressesLoseTheirHostPart() {
    assertThat(AnonymisedIp.of("203.0.113.77")).isEqualTo("203.0.113.0");
    assertThat(AnonymisedIp.of("2001:db8:85a3:8d3:1319:8a2e:370:7348")).isEqualTo("2001:db8:85a3::");
    assertThat(AnonymisedIp.of("::ffff:198.51.100.9")).isEqualTo("198.51.100.0");
    assertThat(AnonymisedIp.of("fe80::1%eth0")).isEqualTo("fe80::");
    assertThat(AnonymisedIp.of("203.0.113.0")).as("anonymising twice changes nothing").isEqualTo("203.0.113.0");
    assertThat(AnonymisedIp.of("example.com")).isNull();
    assertThat(AnonymisedIp.of("1.2.3.256")).isNull();
    assertThat(AnonymisedIp.of(null)).isNull();
  }
}
