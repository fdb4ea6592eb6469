package io.linkly.iii.sdk.impl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Locale;

/** The metadata a worker reports through {@code engine::workers::register} (PROTOCOL.md §1.3). */
final class WorkerInfo {

  static final String RUNTIME = "java";
  static final String FRAMEWORK = "iii-java";

  private WorkerInfo() {}

  /** The configured name, else {@code III_WORKER_NAME}, else {@code hostname:pid}. */
  static String resolveName(String configured) {
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    String env = System.getenv("III_WORKER_NAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    return hostname() + ":" + ProcessHandle.current().pid();
  }

  static ObjectNode payload(String name, String description) {
    ObjectNode data = Json.object();
    data.put("runtime", RUNTIME);
    data.put("version", SdkVersion.VERSION);
    data.put("name", name);
    if (description != null) {
      data.put("description", description);
    }
    data.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " ("
            + System.getProperty("os.arch")
            + ")");
    data.put("pid", ProcessHandle.current().pid());
    data.putNull("isolation");
    ObjectNode telemetry = data.putObject("telemetry");
    telemetry.put("language", Locale.getDefault().toLanguageTag());
    String project = projectName();
    if (project != null) {
      telemetry.put("project_name", project);
    }
    telemetry.put("framework", FRAMEWORK);
    return data;
  }

  /** Like the Node SDK without a package.json: the name of the working directory. */
  private static String projectName() {
    Path cwd = Path.of(System.getProperty("user.dir", "")).toAbsolutePath().getFileName();
    if (cwd == null || cwd.toString().isBlank()) {
      return null;
    }
    return cwd.toString();
  }

  private static String hostname() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "localhost";
    }
  }
}
