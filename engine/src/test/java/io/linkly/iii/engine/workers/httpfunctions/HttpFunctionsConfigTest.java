package io.linkly.iii.engine.workers.httpfunctions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.config.WorkerEntry;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.protocol.Json;
import org.junit.jupiter.api.Test;

/** The iii-http-functions config block: upstream's {@code security} shape, read strictly. */
class HttpFunctionsConfigTest {

  private static HttpFunctionsConfig parse(String json) throws Exception {
    return HttpFunctionsConfig.fromConfig(new WorkerEntry("iii-http-functions", Json.mapper().readTree(json), "workers[0]"));
  }

  @Test
  void defaultsAreTheStrictOnes() throws Exception {
    for (HttpFunctionsConfig c :
        new HttpFunctionsConfig[] {
          HttpFunctionsConfig.fromConfig(new WorkerEntry("iii-http-functions", null, "workers[0]")),
          parse("{}"),
          parse("{\"security\":{}}"),
          HttpFunctionsConfig.defaults()
        }) {
      assertThat(c.requireHttps()).isTrue();
      assertThat(c.blockPrivateIps()).isTrue();
      assertThat(c.urlAllowlist()).extracting(HostPattern::glob).containsExactly("*");
    }
  }

  @Test
  void readsEveryKey() throws Exception {
    HttpFunctionsConfig c =
        parse("{\"security\":{\"url_allowlist\":[\"api.example.com\",\"*.hooks.dev\"],\"block_private_ips\":false,\"require_https\":false}}");
    assertThat(c.requireHttps()).isFalse();
    assertThat(c.blockPrivateIps()).isFalse();
    assertThat(c.urlAllowlist()).extracting(HostPattern::glob).containsExactly("api.example.com", "*.hooks.dev");
  }

  @Test
  void anEmptyAllowlistMeansEveryHost() throws Exception {
    assertThat(parse("{\"security\":{\"url_allowlist\":[]}}").urlAllowlist()).extracting(HostPattern::glob).containsExactly("*");
  }

  @Test
  void rejectsWhatUpstreamRejectsNamingTheKey() {
    assertThatThrownBy(() -> parse("{\"fake_key\":true}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("workers[0].config.fake_key: unknown key");
    assertThatThrownBy(() -> parse("{\"security\":{\"allowlist\":[]}}"))
        .hasMessageContaining("workers[0].config.security.allowlist: unknown key");
    assertThatThrownBy(() -> parse("{\"security\":true}")).hasMessageContaining("workers[0].config.security: must be a mapping");
    assertThatThrownBy(() -> parse("{\"security\":{\"require_https\":\"no\"}}"))
        .hasMessageContaining("workers[0].config.security.require_https: must be true or false");
    assertThatThrownBy(() -> parse("{\"security\":{\"block_private_ips\":0}}"))
        .hasMessageContaining("workers[0].config.security.block_private_ips: must be true or false");
    assertThatThrownBy(() -> parse("{\"security\":{\"url_allowlist\":\"*\"}}"))
        .hasMessageContaining("workers[0].config.security.url_allowlist: must be a list");
    assertThatThrownBy(() -> parse("{\"security\":{\"url_allowlist\":[\"ok\",7]}}"))
        .hasMessageContaining("workers[0].config.security.url_allowlist[1]: must be a string");
    assertThatThrownBy(() -> parse("{\"security\":{\"url_allowlist\":[\"[invalid\"]}}"))
        .hasMessageContaining("workers[0].config.security.url_allowlist[0]: not a valid pattern '[invalid'");
  }

  @Test
  void isOptInAndLoadsByName() throws Exception {
    assertThat(EngineConfig.defaults().entries(HttpFunctionsWorker.NAME)).isEmpty();
    assertThat(BuiltinWorkers.standard().create(EngineConfig.ephemeral()))
        .noneMatch(HttpFunctionsWorker.class::isInstance);
    EngineConfig yaml =
        EngineConfig.parse(
            "workers:\n  - name: iii-http-functions\n    config:\n      security:\n        require_https: false\n",
            name -> null);
    assertThat(BuiltinWorkers.standard().create(yaml)).anyMatch(HttpFunctionsWorker.class::isInstance);
    EngineConfig bad = EngineConfig.parse("workers:\n  - name: iii-http-functions\n    config:\n      secure: {}\n", name -> null);
    assertThatThrownBy(() -> BuiltinWorkers.standard().create(bad)).hasMessageContaining("workers[0].config.secure: unknown key");
  }
}
