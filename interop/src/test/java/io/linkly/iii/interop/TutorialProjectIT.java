package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LINKLY.md Ch. 1 typed as the tutorial types it, with our {@code iii}: {@code project init},
 * {@code worker add http} and {@code state}, {@code worker init link --language typescript} with
 * the chapter's code, {@code worker add ./link}, then {@code iii}, which installs and starts the
 * worker; a link is created and followed over HTTP. The same with a Java worker from {@code iii
 * worker init --language java}. The only edit to the files the commands write: ports 0, so that
 * tests can run side by side.
 */
class TutorialProjectIT {

  private static final Duration START = Duration.ofSeconds(180); // npm install on a cold cache included
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  /** The chapter's link worker (LINKLY.md Ch. 1), as its reader writes it into link/src/index.ts. */
  private static final String LINK_WORKER = """
      import { registerWorker } from "iii-sdk";

      const iii = registerWorker(process.env.III_URL ?? "ws://localhost:49134", { workerName: "link" });
      const makeCode = () => Math.random().toString(36).slice(2, 8);

      iii.registerFunction("link::create", async (input: { url: string; code?: string }) => {
        const code = input.code ?? makeCode();
        const url = /^https?:\\/\\//i.test(input.url) ? input.url : `https://${input.url}`;
        await iii.trigger({ function_id: "state::set", payload: { scope: "links", key: code, value: { url } } });
        return { code, url };
      });

      iii.registerFunction("link::resolve", async (input: { code: string }) => {
        const stored: any = await iii.trigger({ function_id: "state::get", payload: { scope: "links", key: input.code } });
        return { url: stored?.url ?? null };
      });

      iii.registerFunction("http::create", async (req: any) => {
        if (!req.body?.url) {
          return { status_code: 400, headers: { "Content-Type": "application/json" }, body: { error: 'missing "url"' } };
        }
        const link = await iii.trigger({ function_id: "link::create", payload: { url: req.body.url, code: req.body.code } });
        return { status_code: 201, headers: { "Content-Type": "application/json" }, body: link };
      });

      iii.registerFunction("http::redirect", async (req: any) => {
        const { url }: any = await iii.trigger({ function_id: "link::resolve", payload: { code: req.path_params.code } });
        if (!url) {
          return { status_code: 404, headers: { "Content-Type": "application/json" }, body: { error: "link not found" } };
        }
        return { status_code: 302, headers: { Location: url } };
      });

      iii.registerTrigger({ type: "http", function_id: "http::create", config: { api_path: "links", http_method: "POST" } });
      iii.registerTrigger({ type: "http", function_id: "http::redirect", config: { api_path: "s/:code", http_method: "GET" } });
      console.log("link worker ready");
      """;

  @TempDir Path dir;
  private Process iii;
  private final List<String> output = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (iii != null) {
      iii.destroy(); // SIGTERM: iii stops its workers, then the engine
      if (!iii.waitFor(30, TimeUnit.SECONDS)) {
        iii.destroyForcibly();
      }
      assertThat(iii.exitValue()).as(String.join("\n", output)).isNotEqualTo(-1);
    }
  }

  private static void ok(Cli.Result result) {
    assertThat(result.exitCode()).as(result.toString()).isZero();
  }

  /** Gives every listener of the project port 0 (the one edit this test makes to what iii wrote). */
  private static void ephemeralPorts(Path project) throws Exception {
    Path config = project.resolve("config.yaml");
    String text = Files.readString(config).replace("  - name: http\n", "  - name: http\n    config:\n      port: 0\n");
    Files.writeString(config, text + "  - name: iii-worker-manager\n    config:\n      port: 0\n");
  }

  private static final String HTTP_PORT = "iii-http listening on http://[^:]+:(\\d+)";
  private static final String WORKER_PORT = "iii-worker-manager listening on ws://[^:]+:(\\d+)";

  /** Runs {@code iii} in {@code project}; returns once {@code ready} is printed. */
  private void start(Path project, String ready) throws Exception {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", Cli.JAR.toString());
    ProcessBuilder builder = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true);
    builder.environment().put("npm_config_prefer_offline", "true"); // the interop build's npm ci filled the cache
    builder.environment().put("npm_config_audit", "false");
    builder.environment().put("npm_config_fund", "false");
    iii = builder.start();
    iii.getOutputStream().close();
    Thread.ofVirtual().start(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(iii.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = lines.readLine()) != null; ) {
          output.add(line);
        }
      } catch (Exception e) {
        // iii ended
      }
    });
    await("'" + ready + "' from iii").atMost(START).pollInterval(Duration.ofMillis(200))
        .until(() -> output.stream().anyMatch(l -> l.contains(ready)) || !iii.isAlive());
    assertThat(iii.isAlive()).as(String.join("\n", output)).isTrue();
  }

  private int port(String regex) {
    Pattern pattern = Pattern.compile(regex);
    for (String line : output) {
      Matcher m = pattern.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("no " + regex + " in\n" + String.join("\n", output));
  }

  private static HttpResponse<String> post(int port, String path, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void chapterOneWithATypeScriptWorker() throws Exception {
    NodeRuntime.require();
    Cli.require();
    ok(Cli.runIn(dir, "project", "init", "linkly"));
    Path project = dir.resolve("linkly");
    ok(Cli.runIn(project, "worker", "add", "http"));
    ok(Cli.runIn(project, "worker", "add", "state"));
    ok(Cli.runIn(project, "worker", "init", "link", "--language", "typescript"));
    Files.writeString(project.resolve("link/src/index.ts"), LINK_WORKER);
    ok(Cli.runIn(project, "worker", "add", "./link"));
    ephemeralPorts(project);

    start(project, "[link] link worker ready");
    int http = port(HTTP_PORT);
    // the handler's own 404, not the engine's route miss: the routes are registered after "ready" is printed
    await("the worker's routes").atMost(Duration.ofSeconds(30))
        .until(() -> get(http, "/s/missing").body().equals("{\"error\":\"link not found\"}"));
    HttpResponse<String> created = post(http, "/links", "{\"url\":\"http://iii.dev/docs/understanding-iii\",\"code\":\"learn-iii\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(Json.mapper().readTree(created.body())).isEqualTo(Json.mapper().readTree("{\"code\":\"learn-iii\",\"url\":\"http://iii.dev/docs/understanding-iii\"}"));
    HttpResponse<String> followed = get(http, "/s/learn-iii");
    assertThat(followed.statusCode()).isEqualTo(302);
    assertThat(followed.headers().firstValue("location")).hasValue("http://iii.dev/docs/understanding-iii");
    assertThat(project.resolve("link/node_modules/iii-sdk")).as("iii ran the manifest's install").exists();
  }

  @Test
  void aJavaWorkerFromIiiWorkerInit() throws Exception {
    Cli.require();
    ok(Cli.runIn(dir, "project", "init", "proj"));
    Path project = dir.resolve("proj");
    ok(Cli.runIn(project, "worker", "init", "greeter", "--language", "java"));
    ok(Cli.runIn(project, "worker", "add", "./greeter"));
    ephemeralPorts(project);

    start(project, "[greeter] greeter worker ready");
    int workers = port(WORKER_PORT);
    Iii caller = Iii.registerWorker("ws://127.0.0.1:" + workers);
    try {
      JsonNode answer = await("greeter::hello").atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> caller.trigger(TriggerRequest.of("greeter::hello", Map.of("name", "linkly"))), a -> a != null);
      assertThat(answer.get("message").asText()).isEqualTo("hello, linkly");
    } finally {
      caller.shutdown();
    }
  }
}
