package io.linkly.iii.engine.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.protocol.Json;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rbac block's parsing and its rules, without sockets (RbacTest covers them end to end). */
class RbacConfigTest {

  private static RbacConfig parse(String json) throws Exception {
    return RbacConfig.fromConfig(new ConfigBlock("workers[1].config.rbac", Json.mapper().readTree(json)));
  }

  private static JsonNode json(String text) throws Exception {
    return Json.mapper().readTree(text);
  }

  @Test
  void wildcardsAreAnchoredAtBothEnds() {
    WildcardPattern links = new WildcardPattern("link::*");
    assertThat(links.matches("link::create")).isTrue();
    assertThat(links.matches("link::")).isTrue();
    assertThat(links.matches("xlink::create")).isFalse();
    assertThat(new WildcardPattern("*::create").matches("link::create")).isTrue();
    assertThat(new WildcardPattern("a*b*c").matches("aXXbYYc")).isTrue();
    assertThat(new WildcardPattern("a*b*c").matches("aXXbYY")).isFalse();
    assertThat(new WildcardPattern("exact").matches("exactly")).isFalse();
    assertThat(new WildcardPattern("*").matches("")).isTrue();
  }

  @Test
  void exposeFiltersMatchIdsOrMetadata() throws Exception {
    RbacConfig config =
        parse("{\"expose_functions\":[\"match('pub::*')\", {\"metadata\":{\"public\":true, \"tier\":\"match(\\\"gold-*\\\")\"}}]}");
    assertThat(config.exposes("pub::x", null)).isTrue();
    assertThat(config.exposes("x", json("{\"public\":true,\"tier\":\"gold-2\"}"))).isTrue();
    assertThat(config.exposes("x", json("{\"public\":true,\"tier\":\"silver\"}"))).isFalse();
    assertThat(config.exposes("x", json("{\"public\":\"true\",\"tier\":\"gold-2\"}"))).as("exact JSON, not text").isFalse();
    assertThat(config.exposes("x", json("{\"public\":true,\"tier\":7}"))).as("a pattern needs a string").isFalse();
    assertThat(config.exposes("x", null)).isFalse();
  }

  @Test
  void aBadBlockIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> parse("{\"expose_functions\":\"match(\\\"a\\\")\"}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("workers[1].config.rbac.expose_functions: expected a list");
    assertThatThrownBy(() -> parse("{\"expose_functions\":[\"link::*\"]}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("expose_functions[0]: expected match(\"pattern\")");
    assertThatThrownBy(() -> parse("{\"expose_functions\":[{\"meta\":{}}]}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("expose_functions[0]");
    assertThatThrownBy(() -> parse("{\"auth_function\":\"a\"}")).isInstanceOf(ConfigException.class).hasMessageContaining("auth_function");
  }

  @Test
  void accessFollowsUpstreamsOrder() throws Exception {
    ListenerPolicy listener = new ListenerPolicy(parse("{\"expose_functions\":[\"match(\\\"pub::*\\\")\"]}"), null);
    SessionAccess access =
        SessionAccess.fromAuthResult(
            listener, json("{\"allowed_functions\":[\"private::one\"],\"forbidden_functions\":[\"pub::no\",\"engine::log::info\"]}"));
    assertThat(access.mayCall("pub::yes", null)).isTrue();
    assertThat(access.mayCall("private::one", null)).isTrue();
    assertThat(access.mayCall("private::two", null)).isFalse();
    assertThat(access.denial("pub::no", null)).contains("remove from rbac.forbidden_functions");
    assertThat(access.mayCall("engine::log::warn", null)).as("the carve-out").isTrue();
    assertThat(access.mayCall("engine::log::info", null)).as("forbidden beats the carve-out").isFalse();
    assertThat(access.mayBind("anything")).isTrue();
    assertThat(access.allowFunctionRegistration()).isTrue();
    assertThat(access.allowTriggerTypeRegistration()).isFalse();
  }

  @Test
  void anAnswerThatIsNoAuthResultIsRefused() throws Exception {
    ListenerPolicy listener = new ListenerPolicy(parse("{}"), null);
    for (String bad : new String[] {"\"yes\"", "null", "{\"allowed_functions\":\"all\"}", "{\"context\":[1]}",
        "{\"allow_function_registration\":\"true\"}", "{\"function_registration_prefix\":7}"}) {
      assertThatThrownBy(() -> SessionAccess.fromAuthResult(listener, json(bad))).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    SessionAccess access = SessionAccess.fromAuthResult(listener, json("{\"function_registration_prefix\":\"t1\",\"allowed_trigger_types\":[\"stream\"]}"));
    assertThat(access.storedId("fn")).isEqualTo("t1::fn");
    assertThat(access.mayBind("stream")).isTrue();
    assertThat(access.mayBind("cron")).isFalse();
    assertThat(Set.of(access.context().size())).containsExactly(0);
  }
}
