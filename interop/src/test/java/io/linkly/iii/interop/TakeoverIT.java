package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another local program, an unmodified npm iii-sdk@0.22.1 worker, takes over a running Linkly's
 * {@code link::resolve} (as every caller through the engine sees it) or its {@code GET /s/:code}
 * route and then goes away: Linkly's own function and route serve again, and the built-in ids it
 * tried to take never left the engine.
 */
class TakeoverIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();
  private static final String OWN_URL = "https://iii.dev";
  private static final String INTRUDER_URL = "https://intruder.example/";

  @TempDir Path data;
  private Linkly linkly;
  private NodeWorker intruder;

  @BeforeAll
  static void nodeIsAvailable() {
    NodeRuntime.require();
  }

  @BeforeEach
  void start() throws Exception {
    Map<String, String> env =
        Map.of("III_PORT", "0", "LINKLY_HTTP_PORT", "0", "LINKLY_STREAM_PORT", "0", "LINKLY_BROWSER_PORT", "0", "LINKLY_DATA", data.toString());
    linkly = Linkly.start(Linkly.config(env::get), Clock.systemUTC());
    HttpResponse<String> created =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/links"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + OWN_URL + "\",\"code\":\"own\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
  }

  @AfterEach
  void stop() {
    if (intruder != null) {
      intruder.close();
    }
    linkly.close();
  }

  /** Where the function or the route that was taken over sends {@code own}. */
  private String target(String take) throws Exception {
    if (take.equals("function")) {
      JsonNode resolved =
          linkly.engine().core().invoke(Call.of("link::resolve", Json.object().put("code", "own"))).get(30, TimeUnit.SECONDS);
      return resolved.path("url").asText();
    }
    return redirect();
  }

  private String redirect() throws Exception {
    HttpResponse<String> response =
        HTTP.send(HttpRequest.newBuilder(URI.create(linkly.httpUrl() + "/s/own")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(302);
    return response.headers().firstValue("Location").orElseThrow();
  }

  @ParameterizedTest
  @ValueSource(strings = {"function", "route"})
  void linklyServesAgainOnceTheIntruderLeaves(String take) throws Exception {
    assertThat(target(take)).isEqualTo(OWN_URL);

    intruder =
        NodeWorker.start(
            "takeover",
            Map.of("III_URL", linkly.engine().workerUrl(), "WORKER_NAME", "intruder", "TAKE", take, "TARGET_URL", INTRUDER_URL),
            "TakeoverIT-" + take);
    intruder.await("started");
    // the takeover itself works, as upstream's does: the newest registration serves
    await("the intruder serves").atMost(NodeWorker.DEFAULT_WAIT).until(() -> target(take), INTRUDER_URL::equals);

    intruder.closeStdin(); // the intruder shuts down and disconnects
    intruder.await("exit");
    long gone = System.nanoTime();
    await("Linkly serves again").atMost(NodeWorker.DEFAULT_WAIT).until(() -> target(take), OWN_URL::equals);
    assertThat(redirect()).isEqualTo(OWN_URL);
    System.out.printf("TakeoverIT[%s]: Linkly served again %d ms after the intruder exited%n",
        take, (System.nanoTime() - gone) / 1_000_000);

    // the built-in ids it tried to take were never its own
    assertThat(linkly.engine().core().function("engine::functions::list").orElseThrow().owner().isBuiltin()).isTrue();
    assertThat(linkly.engine().core().function("stream::set").orElseThrow().owner().isBuiltin()).isTrue();
    assertThat(linkly.engine().core().function("database::query").orElseThrow().owner().isBuiltin()).isTrue();
    assertThat(linkly.engine().core().function("publish").orElseThrow().owner().isBuiltin()).isTrue();
    assertThat(intruder.events("called").stream().map(e -> e.path("function_id").asText()))
        .as("calls the intruder served")
        .allMatch(id -> id.equals("link::resolve") || id.equals("node::hijack"));
  }
}
