package io.linkly.iii.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.linkly.testing.LocalService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where Node and the npm {@code iii-sdk@0.22.1} are, and what a test does when they are not
 * there: under {@code CI=true} it fails; elsewhere it is skipped with the reason printed.
 */
final class NodeRuntime {

  static final String SDK_VERSION = "0.22.1";

  /** {@code interop/node}: the scenarios, package.json, the lockfile and node_modules. */
  static final Path NODE_DIR =
      Path.of(System.getProperty("interop.node.dir", "node")).toAbsolutePath().normalize();

  /** The repository root, where {@code cli/target/iii.jar} is built. */
  static final Path REPO_ROOT =
      Path.of(System.getProperty("interop.repo.root", "..")).toAbsolutePath().normalize();

  private NodeRuntime() {}

  /** Node's version and the iii-sdk check are done once per JVM. */
  private static final class Probe {
    static final String PROBLEM = findProblem();
  }

  /**
   * The command that starts a Node with a global {@code WebSocket}, as browser/iii-browser.js
   * needs: Node 20 only has it behind {@code --experimental-websocket}; later Nodes have it
   * anyway and may one day drop the flag, so the flag is used only where it works. No npm
   * package is involved. Aborts (or, under CI, fails) the calling test when there is none.
   */
  static List<String> requireWebSocketNode() {
    requireThat(WebSocketProbe.PROBLEM, "node with a global WebSocket");
    return WebSocketProbe.COMMAND;
  }

  private static final class WebSocketProbe {
    static final List<String> COMMAND;
    static final String PROBLEM;

    static {
      List<String> found = null;
      String problem = null;
      for (List<String> candidate : List.of(List.of("node", "--experimental-websocket"), List.of("node"))) {
        problem = webSocketProblem(candidate);
        if (problem == null) {
          found = candidate;
          break;
        }
      }
      COMMAND = found;
      PROBLEM = problem;
    }
  }

  private static String webSocketProblem(List<String> node) {
    List<String> command = new ArrayList<>(node);
    command.addAll(List.of("-e", "process.exit(typeof WebSocket === 'function' && typeof crypto.randomUUID === 'function' ? 0 : 7)"));
    try {
      Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
      probe.getOutputStream().close();
      if (!probe.waitFor(30, TimeUnit.SECONDS)) {
        probe.destroyForcibly();
        return String.join(" ", node) + " did not answer within 30 s";
      }
      String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return probe.exitValue() == 0
          ? null
          : String.join(" ", node) + " has no global WebSocket (exit " + probe.exitValue() + ") " + output;
    } catch (IOException e) {
      return "node is not on PATH (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while probing node";
    }
  }

  /** Aborts (or, under CI, fails) the calling test unless Node and iii-sdk@0.22.1 are usable. */
  static void require() {
    requireThat(Probe.PROBLEM, "node and iii-sdk@" + SDK_VERSION);
  }

  /** Skips or (under CI) fails with {@code problem}, when there is one: {@link LocalService}'s rule. */
  static void requireThat(String problem, String what) {
    if (problem != null) {
      LocalService.unavailable("[interop] (" + what + ")", what + " unavailable: " + problem);
    }
  }

  private static String findProblem() {
    String version;
    try {
      Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      node.getOutputStream().close();
      if (!node.waitFor(30, TimeUnit.SECONDS)) {
        node.destroyForcibly();
        return "'node --version' did not answer within 30 s";
      }
      version = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (node.exitValue() != 0) {
        return "'node --version' exited with " + node.exitValue() + ": " + version;
      }
    } catch (IOException e) {
      return "node is not on PATH (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while probing node";
    }
    Path manifest = NODE_DIR.resolve("node_modules/iii-sdk/package.json");
    if (!Files.isRegularFile(manifest)) {
      return manifest + " is missing: run 'npm ci' in " + NODE_DIR + " (Maven does it in pre-integration-test)";
    }
    try {
      JsonNode pkg = new ObjectMapper().readTree(manifest.toFile());
      String installed = pkg.path("version").asText();
      if (!SDK_VERSION.equals(installed)) {
        return "node_modules has iii-sdk " + installed + ", expected " + SDK_VERSION;
      }
    } catch (IOException e) {
      return manifest + " cannot be read: " + e.getMessage();
    }
    System.out.println("[interop] node " + version + ", iii-sdk " + SDK_VERSION + " from " + NODE_DIR);
    return null;
  }
}
