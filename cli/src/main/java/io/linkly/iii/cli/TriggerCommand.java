package io.linkly.iii.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.ReconnectPolicy;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code iii trigger FUNCTION [key=value ...]}: one synchronous call, result on stdout. */
@Command(
    name = "trigger",
    aliases = "t",
    description = "Call a function on a running engine and print its result as JSON.")
final class TriggerCommand implements Callable<Integer> {

  static final String TIMEOUT_MESSAGE =
      "Timed out waiting for the engine (no response within the timeout). Is the engine running at"
          + " the given address and port?";

  @Parameters(index = "0", paramLabel = "FUNCTION", description = "Function id, e.g. engine::functions::list")
  String function;

  @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "Payload fields; values are JSON when they parse")
  List<String> pairs = new ArrayList<>();

  @Option(names = "--json", description = "The whole payload as JSON; key=value pairs override its keys")
  String json;

  @Option(names = "--address", defaultValue = "localhost", description = "Engine host, or a ws:// URL (default: ${DEFAULT-VALUE})")
  String address;

  @Option(names = "--port", defaultValue = "49134", description = "Engine worker port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--timeout-ms", defaultValue = "30000", description = "How long to wait for the result (default: ${DEFAULT-VALUE})")
  long timeoutMs;

  @Option(names = {"--function-id", "--payload"}, hidden = true)
  String legacy;

  @Override
  public Integer call() {
    if (legacy != null) {
      return fail("--function-id and --payload are no longer supported: use 'iii trigger FUNCTION key=value' or --json");
    }
    JsonNode payload;
    try {
      payload = TriggerPayload.build(pairs, json);
    } catch (IllegalArgumentException e) {
      return fail(e.getMessage());
    }
    Duration timeout = Duration.ofMillis(timeoutMs);
    WorkerOptions options =
        WorkerOptions.builder()
            .workerName("iii-cli")
            .invocationTimeout(timeout)
            // one attempt: a refused connection fails the call at once instead of retrying until
            // the timeout (a long-running worker keeps the default, retry forever)
            .reconnect(ReconnectPolicy.defaults().withMaxRetries(0))
            .build();
    try (Iii iii = Iii.registerWorker(url(), options)) {
      JsonNode result = iii.trigger(TriggerRequest.of(function, payload).withTimeout(timeout));
      if (result != null && !result.isNull()) {
        System.out.println(Json.writePretty(result));
      }
      return 0;
    } catch (IiiException e) {
      ObjectNode error = Json.object();
      error.put("code", e.code());
      error.put("message", ErrorCodes.TIMEOUT.equals(e.code()) ? TIMEOUT_MESSAGE : e.getMessage());
      error.put("stacktrace", e.stacktrace());
      printError(System.err, error);
      return 1;
    }
  }

  private String url() {
    if (address.startsWith("ws://") || address.startsWith("wss://")) {
      return address;
    }
    return "ws://" + address + ":" + port;
  }

  private static int fail(String message) {
    ObjectNode error = Json.object();
    error.put("code", "INVALID_ARGUMENTS");
    error.put("message", message);
    printError(System.err, error);
    return 1;
  }

  private static void printError(PrintStream err, ObjectNode error) {
    err.println("Error: " + Json.writePretty(error));
  }
}
