package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LINKLY.md S10 (Ch. 7) with Java SDK workers standing in for browser tabs on the browser
 * listener: the token gate, the exposed functions, creating, live clicks in every tab, and
 * deletes that a person confirms. The real page is tested in Chromium by DashboardBrowserTest.
 */
class BrowserSessionTest {

  @TempDir Path data;
  private Linkly linkly;
  private Iii trusted;
  private final List<Iii> tabs = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
    trusted = Iii.registerWorker(linkly.engine().workerUrl());
  }

  @AfterEach
  void stop() {
    tabs.forEach(Iii::shutdown);
    trusted.shutdown();
    linkly.close();
  }

  private Iii tab(String query) throws Exception {
    Iii tab = Iii.registerWorker(linkly.browserWorkerUrl() + "/?" + query, WorkerOptions.builder().workerName("tab").build());
    tabs.add(tab);
    tab.ready().get(10, TimeUnit.SECONDS);
    return tab;
  }

  @Test
  void aWrongOrMissingTokenIsRefused() {
    for (String query : List.of("token=wrong", "nothing=here", "token=dev-token&tab=NOT_VALID")) {
      Iii refused = Iii.registerWorker(linkly.browserWorkerUrl() + "/?" + query);
      tabs.add(refused);
      assertThatThrownBy(() -> refused.ready().get(2, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);
    }
  }

  @Test
  void aSessionCreatesLinksButCallsNothingUnexposed() throws Exception {
    Iii tab = tab("token=dev-token");
    JsonNode link = tab.trigger(TriggerRequest.of("link::create", Map.of("url", "https://iii.dev")));
    assertThat(link.get("url").asText()).isEqualTo("https://iii.dev");
    assertThat(get(linkly.httpUrl() + "/s/" + link.get("code").asText()).statusCode()).isEqualTo(302);
    for (String id : List.of("link::delete", "database::query", "state::get", "link::resolve")) {
      assertThatThrownBy(() -> tab.trigger(TriggerRequest.of(id, Map.of("code", "x"))))
          .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("FORBIDDEN"));
    }
  }

  @Test
  void aSessionReadsTheStreamsButCannotWriteWhatOtherTabsSee() throws Exception {
    Iii tab = tab("token=dev-token");
    assertThat(tab.trigger(TriggerRequest.of("stream::list", Map.of("stream_name", "clicks", "group_id", "totals"))).isArray()).isTrue();
    assertThat(tab.trigger(TriggerRequest.of("stream::get", Map.of("stream_name", "clicks", "group_id", "totals", "item_id", "x")))).isNull();
    // the tutorial exposes stream::*: any tab could then forge every dashboard's totals or feed
    Map<String, Object> forged = Map.of("stream_name", "clicks", "group_id", "totals", "item_id", "x", "data", Map.of("code", "x", "clicks", 999_999));
    for (String id : List.of("stream::set", "stream::update", "stream::delete", "stream::send")) {
      assertThatThrownBy(() -> tab.trigger(TriggerRequest.of(id, forged)))
          .as(id)
          .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("FORBIDDEN"));
    }
  }

  @Test
  void noSessionTakesOverTheLinkFunctionsOrBindsARoute() throws Exception {
    assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"safe\"}").statusCode()).isEqualTo(201);
    for (String query : List.of("token=dev-token", "token=dev-token&tab=evil")) {
      Iii tab = tab(query);
      tab.registerFunction("link::resolve", (data, ctx) -> Map.of("url", "https://phishing.example"));
      tab.registerFunction("http::redirect", (data, ctx) -> Map.of("status_code", 302, "headers", Map.of("location", "https://phishing.example")));
      tab.registerFunction("ui::evil", (data, ctx) -> Map.of("status_code", 302, "headers", Map.of("location", "https://phishing.example")));
      tab.registerTrigger(TriggerBinding.of("http", "ui::evil", Map.of("api_path", "s/:code", "http_method", "GET")));
      tab.registerTrigger(TriggerBinding.of("stream", "link::delete", Map.of("stream_name", "clicks", "group_id", "all")));
      // registrations are vetted in order and denials are silent: one allowed after them marks the end
      tab.registerFunction("ui::on_click", (data, ctx) -> null);
      String mine = query.contains("tab=") ? "tab-evil::ui::on_click" : "ui::on_click";
      await().atMost(Duration.ofSeconds(10)).until(() -> linkly.engine().core().function(mine).isPresent());

      for (String id : List.of("link::resolve", "http::redirect")) {
        assertThat(linkly.engine().core().function(id).orElseThrow().owner().id()).as(query + ": " + id).isNotEqualTo(tab.workerId());
      }
      var redirect = get(linkly.httpUrl() + "/s/safe");
      assertThat(redirect.statusCode()).as(query).isEqualTo(302);
      assertThat(redirect.headers().firstValue("location")).as(query).hasValue("https://iii.dev");
      assertThat(linkly.engine().core().triggerBindings().stream().filter(b -> b.functionId().endsWith("link::delete") || b.functionId().endsWith("ui::evil")))
          .as(query).isEmpty();
      tab.shutdown();
    }
  }

  @Test
  void theStreamPortLetsOnlyReadersOfThisMachineOrWithTheTokenJoin() {
    // the refusal itself needs a subscriber on another machine: BrowserAuthTest checks the rule,
    // this checks that Linkly wires it (auth function, join check) and the local watch still joins
    JsonNode far = trusted.trigger(TriggerRequest.of("auth::stream", Map.of("addr", "192.0.2.10:50000", "query_params", Map.of())));
    assertThat(far.at("/context/reader").asBoolean()).isFalse();
    JsonNode local = trusted.trigger(TriggerRequest.of("auth::stream", Map.of("addr", "127.0.0.1:50000", "query_params", Map.of())));
    assertThat(local.at("/context/reader").asBoolean()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> linkly.engine().core().triggerBindings().stream()
        .anyMatch(b -> b.triggerType().equals("stream:join") && b.functionId().equals("auth::stream_join")));
  }

  @Test
  void everyTabCountsEveryClick() throws Exception {
    List<List<JsonNode>> seen = List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    for (int i = 0; i < 2; i++) {
      Iii tab = tab("token=dev-token&tab=tab" + i);
      List<JsonNode> mine = seen.get(i);
      tab.registerFunction("ui::on_click", (event, ctx) -> mine.add(event));
      tab.registerTrigger(TriggerBinding.of("stream", "ui::on_click", Map.of("stream_name", "clicks", "group_id", "all")));
    }
    await().atMost(Duration.ofSeconds(10))
        .until(() -> linkly.engine().core().triggerBindings().stream().filter(b -> b.functionId().endsWith("::ui::on_click")).count() == 2);
    assertThat(post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"both\"}").statusCode()).isEqualTo(201);
    for (int i = 0; i < 3; i++) {
      get(linkly.httpUrl() + "/s/both");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.get(0).size() == 3 && seen.get(1).size() == 3);
    assertThat(seen.get(0).get(0).at("/event/data/code").asText()).isEqualTo("both");
  }

  @Test
  void aDeleteHappensOnlyWhenThePersonConfirmsIt() throws Exception {
    List<JsonNode> asked = new CopyOnWriteArrayList<>();
    Iii tab = tab("token=dev-token&tab=abc123");
    tab.registerFunction("user::confirm_destructive_op", (data, ctx) -> {
      asked.add(data);
      return Map.of("confirmed", data.get("code").asText().equals("doomed"));
    });
    for (String code : List.of("doomed", "spared")) {
      post(linkly.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"" + code + "\"}");
      get(linkly.httpUrl() + "/s/" + code); // cached now: the delete must drop the cache too
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> linkly.engine().core().function("tab-abc123::user::confirm_destructive_op").isPresent());

    assertThat(tab.trigger(TriggerRequest.of("link::request_delete", Map.of("code", "doomed", "tab", "abc123"))).get("deleted").asBoolean()).isTrue();
    assertThat(asked.get(0).get("action").asText()).isEqualTo("delete link \"doomed\"");
    assertThat(get(linkly.httpUrl() + "/s/doomed").statusCode()).isEqualTo(404);
    assertThat(trusted.trigger(TriggerRequest.of("link::resolve", Map.of("code", "doomed"))).get("url").isNull()).isTrue();

    // iii trigger link::request_delete code=spared: no tab named, an open one is asked
    assertThat(trusted.trigger(TriggerRequest.of("link::request_delete", Map.of("code", "spared"))).get("deleted").asBoolean()).isFalse();
    assertThat(asked).hasSize(2);
    assertThat(get(linkly.httpUrl() + "/s/spared").statusCode()).isEqualTo(302);
  }

  @Test
  void withNoTabOpenARequestedDeleteFindsNoOneToAsk() {
    assertThatThrownBy(() -> trusted.trigger(TriggerRequest.of("link::request_delete", Map.of("code", "x"))))
        .isInstanceOfSatisfying(IiiException.class, e -> assertThat(e.code()).isEqualTo("function_not_found"));
  }
}
