package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code iii trigger} (the Java CLI) calls a function served by an npm iii-sdk@0.22.1 worker. */
class CliIT extends InteropTest {

  @BeforeEach
  void cliIsBuilt() {
    Cli.require();
  }

  @Test
  void triggerPrintsTheNodeFunctionResult() {
    NodeWorker node = node("serve", "node", Map.of());
    awaitFunction("node::echo");

    Cli.Result run =
        Cli.run(
            "trigger", "node::echo", "name=alice", "count=10", "ids=[1,2]",
            "--json", "{\"nested\":{\"k\":\"v\"},\"name\":\"overridden\"}",
            "--timeout-ms", "20000", "--address", engine.workerUrl());

    assertThat(run.exitCode()).as("%s", run).isZero();
    JsonNode printed = json(run.stdout());
    assertThat(printed.path("runtime").asText()).as("%s", run).isEqualTo("node");
    assertJson(withoutCallerId(printed.path("echo")))
        .isEqualTo(json("{\"nested\":{\"k\":\"v\"},\"name\":\"alice\",\"count\":10,\"ids\":[1,2]}"));
    JsonNode seen = node.await("called", e -> e.path("function_id").asText().equals("node::echo")).get("data");
    assertThat(seen.path("name").asText()).isEqualTo("alice");
  }

  @Test
  void triggerReportsTheNodeHandlerErrorAndExitsOne() {
    node("serve", "node", Map.of());
    awaitFunction("node::fail");

    Cli.Result run = Cli.run("trigger", "node::fail", "--timeout-ms", "20000", "--address", engine.workerUrl());

    assertThat(run.exitCode()).as("%s", run).isEqualTo(1);
    assertThat(run.stdout()).as("%s", run).isBlank();
    assertThat(run.stderr()).as("%s", run).startsWith("Error: ");
    JsonNode error = json(run.stderr().substring("Error: ".length()));
    assertThat(error.path("code").asText()).isEqualTo("invocation_failed");
    assertThat(error.path("message").asText()).isEqualTo("boom from node");
  }
}
