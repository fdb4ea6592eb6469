package io.linkly.app;

import static io.linkly.app.LinklyFixture.get;
import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A links database that cannot take another row (SQLite's own "database or disk is full", made
 * real with {@code max_page_count} on the one writer connection): creating a link is a 503 with a
 * sentence a person can read and a Retry-After, in Linkly's {@code {"error": "..."}} shape, and
 * links that exist still redirect. Once there is room again, creating works again.
 */
class LinkStoreFullTest {

  @TempDir Path data;

  @Test
  void aFullDatabaseIsA503NamingTheProblemAndRedirectsGoOn() throws Exception {
    try (Linkly linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
        Iii client = Iii.registerWorker(linkly.engine().workerUrl())) {
      String base = linkly.httpUrl();
      assertThat(post(base + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"kept\"}").statusCode()).isEqualTo(201);
      long pages = sql(client, "database::query", "PRAGMA page_count").get("rows").get(0).path("page_count").asLong();
      sql(client, "database::execute", "PRAGMA max_page_count = " + pages);

      HttpResponse<String> refused = null;
      for (int i = 0; i < 2000 && refused == null; i++) {
        HttpResponse<String> created = post(base + "/links", "{\"url\":\"https://full.example/" + "x".repeat(200) + "\",\"code\":\"f" + i + "\"}");
        if (created.statusCode() != 201) {
          refused = created;
        }
      }
      assertThat(refused).as("the database never filled up").isNotNull();
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
      assertThat(refused.headers().firstValue("retry-after")).hasValue("5");
      assertThat(json(refused.body())).isEqualTo(json("{\"error\":\"the link could not be stored now (database or disk is full); try again later\"}"));
      new OpenApiContract(json(get(base + "/openapi.json").body())).check("POST", "/links", refused); // the answer is documented

      HttpResponse<String> redirect = get(base + "/s/kept");
      assertThat(redirect.statusCode()).isEqualTo(302);
      assertThat(redirect.headers().firstValue("location")).hasValue("https://iii.dev");

      sql(client, "database::execute", "PRAGMA max_page_count = 1073741823");
      assertThat(post(base + "/links", "{\"url\":\"https://iii.dev/again\",\"code\":\"again\"}").statusCode()).isEqualTo(201);
    }
  }

  private static JsonNode sql(Iii client, String function, String sql) {
    return client.trigger(TriggerRequest.of(function, Map.of("db", "primary", "sql", sql)));
  }
}
