package io.linkly.iii.engine.workers.configuration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.testing.RawWorker;
import io.linkly.iii.protocol.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** configuration::register|set|get|list|schema and their errors (BUILTINS.md §13), over the worker socket. */
class ConfigurationFunctionsTest {

  static final String PORT_SCHEMA =
      "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"port\":{\"type\":\"integer\",\"minimum\":1},"
          + "\"name\":{\"type\":\"string\"}}}";

  private IiiEngine engine;
  private RawWorker caller;

  @BeforeEach
  void start() throws Exception {
    engine = IiiEngine.start(EngineConfig.ephemeral());
    caller = RawWorker.connect(engine.workerUrl());
  }

  @AfterEach
  void stop() {
    caller.close();
    engine.close();
  }

  private JsonNode result(String function, String data) throws Exception {
    JsonNode answer = caller.call(function, data);
    assertThat(answer.has("error")).as("%s answered %s", function, answer).isFalse();
    return answer.get("result");
  }

  private JsonNode error(String function, String data) throws Exception {
    JsonNode answer = caller.call(function, data);
    assertThat(answer.has("error")).as("%s answered %s", function, answer).isTrue();
    return answer.get("error");
  }

  private static JsonNode json(String text) throws Exception {
    return Json.mapper().readTree(text);
  }

  private String register(String id, String initial) {
    return "{\"id\":\"" + id + "\",\"name\":\"Web\",\"description\":\"the web server\",\"schema\":" + PORT_SCHEMA
        + (initial == null ? "" : ",\"initial_value\":" + initial) + "}";
  }

  @Test
  void registerStoresTheValueVerbatimAndGetExpandsIt() throws Exception {
    JsonNode entry = result("configuration::register", register("web", "{\"port\":\"${LINKLY_TEST_UNSET_PORT:8080}\"}"));
    assertThat(entry.get("id").asText()).isEqualTo("web");
    assertThat(entry.get("value")).isEqualTo(json("{\"port\":\"${LINKLY_TEST_UNSET_PORT:8080}\"}"));
    assertThat(entry.get("schema")).isEqualTo(json(PORT_SCHEMA));

    assertThat(result("configuration::get", "{\"id\":\"web\"}")).isEqualTo(json("{\"id\":\"web\",\"value\":{\"port\":8080}}"));
    assertThat(result("configuration::get", "{\"id\":\"web\",\"raw\":true}").get("value"))
        .isEqualTo(json("{\"port\":\"${LINKLY_TEST_UNSET_PORT:8080}\"}"));
  }

  @Test
  void registerWithoutInitialValueStoresNullAndReRegisteringKeepsTheValue() throws Exception {
    assertThat(result("configuration::register", register("plain", null)).get("value").isNull()).isTrue();
    result("configuration::set", "{\"id\":\"plain\",\"value\":{\"port\":1}}");
    assertThat(result("configuration::register", register("plain", null)).get("value")).isEqualTo(json("{\"port\":1}"));
    assertThat(result("configuration::register", register("plain", "{\"port\":2}")).get("value")).isEqualTo(json("{\"port\":2}"));
  }

  @Test
  void setValidatesAndReturnsOldAndNewValues() throws Exception {
    result("configuration::register", register("web", "{\"port\":3000}"));
    assertThat(result("configuration::set", "{\"id\":\"web\",\"value\":{\"port\":4000}}"))
        .isEqualTo(json("{\"old_value\":{\"port\":3000},\"new_value\":{\"port\":4000}}"));

    JsonNode bad = error("configuration::set", "{\"id\":\"web\",\"value\":{\"port\":\"high\"}}");
    assertThat(bad.get("code").asText()).isEqualTo("SCHEMA_INVALID");
    assertThat(bad.get("message").asText()).contains("port");
    JsonNode unknownKey = error("configuration::set", "{\"id\":\"web\",\"value\":{\"prot\":1}}");
    assertThat(unknownKey.get("code").asText()).isEqualTo("SCHEMA_INVALID");
    assertThat(unknownKey.get("message").asText()).contains("prot");
    assertThat(result("configuration::get", "{\"id\":\"web\"}").get("value")).isEqualTo(json("{\"port\":4000}"));
  }

  @Test
  void listAndSchemaShowNoValues() throws Exception {
    result("configuration::register", register("zeta", "{\"port\":1}"));
    result("configuration::register", register("alpha", null));
    JsonNode list = result("configuration::list", "{}").get("configurations");
    assertThat(list.findValuesAsText("id")).containsSubsequence("alpha", "zeta");
    list.forEach(c -> assertThat(c.has("value")).isFalse());
    JsonNode schema = result("configuration::schema", "{\"id\":\"zeta\"}");
    assertThat(schema.get("name").asText()).isEqualTo("Web");
    assertThat(schema.get("schema")).isEqualTo(json(PORT_SCHEMA));
    assertThat(schema.has("value")).isFalse();
  }

  @Test
  void errorsHaveUpstreamsCodes() throws Exception {
    assertThat(error("configuration::register", register("Bad Id", null)).get("code").asText()).isEqualTo("INVALID_ID");
    assertThat(error("configuration::get", "{\"id\":\"" + "x".repeat(65) + "\"}").get("code").asText()).isEqualTo("INVALID_ID");
    assertThat(error("configuration::register", register("web", "{\"port\":0}")).get("code").asText()).isEqualTo("SCHEMA_INVALID");
    assertThat(error("configuration::register",
        "{\"id\":\"web\",\"name\":\"n\",\"description\":\"d\",\"schema\":{\"type\":42}}").get("code").asText())
        .isEqualTo("SCHEMA_INVALID");
    assertThat(error("configuration::set", "{\"id\":\"nobody\",\"value\":{}}").get("code").asText()).isEqualTo("NOT_REGISTERED");
    JsonNode notFound = error("configuration::get", "{\"id\":\"nobody\"}");
    assertThat(notFound.get("code").asText()).isEqualTo("NOT_FOUND");
    assertThat(notFound.get("message").asText()).isEqualTo("configuration 'nobody' not found");
    assertThat(error("configuration::schema", "{\"id\":\"nobody\"}").get("code").asText()).isEqualTo("NOT_FOUND");

    result("configuration::register", register("env", "{\"name\":\"${LINKLY_TEST_UNSET_VARIABLE}\"}")); // stored unchecked
    JsonNode expand = error("configuration::get", "{\"id\":\"env\"}");
    assertThat(expand.get("code").asText()).isEqualTo("EXPAND_FAILED");
    assertThat(expand.get("message").asText()).contains("LINKLY_TEST_UNSET_VARIABLE");
  }

  @Test
  void registerAndSetFireTheConfigurationTrigger() throws Exception {
    try (RawWorker handler = RawWorker.connect(engine.workerUrl())) {
      handler.send("{\"type\":\"registerfunction\",\"id\":\"test::on_config\"}");
      handler.send("{\"type\":\"registertrigger\",\"id\":\"watch-web\",\"trigger_type\":\"configuration\","
          + "\"function_id\":\"test::on_config\",\"config\":{\"configuration_id\":\"web\"}}");
      org.awaitility.Awaitility.await().until(() -> engine.core().triggerBindings().stream().anyMatch(b -> b.id().equals("watch-web")));

      result("configuration::register", register("other", "{\"port\":9}")); // filtered out
      result("configuration::register", register("web", "{\"port\":3000}"));
      JsonNode registered = handler.next("invokefunction").get("data");
      assertThat(registered.get("type").asText()).isEqualTo("configuration");
      assertThat(registered.get("event_type").asText()).isEqualTo("configuration:registered");
      assertThat(registered.get("id").asText()).isEqualTo("web");
      assertThat(registered.get("old_value").isNull()).isTrue();
      assertThat(registered.get("new_value")).isEqualTo(json("{\"port\":3000}"));

      result("configuration::set", "{\"id\":\"web\",\"value\":{\"port\":\"${LINKLY_TEST_UNSET_PORT:4000}\"}}");
      JsonNode updated = handler.next("invokefunction").get("data");
      assertThat(updated.get("event_type").asText()).isEqualTo("configuration:updated");
      assertThat(updated.get("old_value")).isEqualTo(json("{\"port\":3000}"));
      assertThat(updated.get("new_value")).isEqualTo(json("{\"port\":4000}")); // expanded
    }
  }
}
