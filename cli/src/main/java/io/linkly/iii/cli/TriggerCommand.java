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
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.Slf4JLoggerFactory;
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

  // the defaults twice, for picocli and for PlainTriggerArgs, which makes commands without it
  static final String DEFAULT_ADDRESS = "localhost";
  static final int DEFAULT_PORT = 49134;
  static final long DEFAULT_TIMEOUT_MS = 30_000;

  @Option(names = "--address", defaultValue = DEFAULT_ADDRESS, description = "Engine host, or a ws:// URL (default: ${DEFAULT-VALUE})")
  String address = DEFAULT_ADDRESS;

  @Option(names = "--port", defaultValue = "" + DEFAULT_PORT, description = "Engine worker port (default: ${DEFAULT-VALUE})")
  int port = DEFAULT_PORT;

  @Option(names = "--timeout-ms", defaultValue = "" + DEFAULT_TIMEOUT_MS, description = "How long to wait for the result (default: ${DEFAULT-VALUE})")
  long timeoutMs = DEFAULT_TIMEOUT_MS;

  @Option(names = {"--function-id", "--payload"}, hidden = true)
  String legacy;

  /**
   * Settings for a process that makes one call and exits, made before the first logger or Netty
   * class loads; each saves 10 to 100 ms of start-up. No logging backend unless {@code
   * -Diii.log.level} asks for one: the terminal is for the result, and every failure of the call
   * is reported as its error. Netty's NIO transport, rather than the native epoll library that
   * Netty would copy out of the jar to a temporary file on every run; unpooled buffers (one
   * message each way needs no pool); none of Netty's JFR events.
   */
  static void prepareProcess() {
    System.setProperty("io.netty.transport.noNative", "true");
    System.setProperty("io.netty.allocator.type", "unpooled");
    System.setProperty("io.netty.jfr.enabled", "false");
    if (System.getProperty("iii.log.level") == null) {
      System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
      System.setProperty("slf4j.internal.verbosity", "WARN"); // else SLF4J announces the provider
      // Netty turns down SLF4J's no-op logger and would start java.util.logging instead
      InternalLoggerFactory.setDefaultFactory(Slf4JLoggerFactory.INSTANCE);
    }
  }

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
