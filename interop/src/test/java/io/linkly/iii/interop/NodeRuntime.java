package io.linkly.iii.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.linkly.testing.LocalService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
