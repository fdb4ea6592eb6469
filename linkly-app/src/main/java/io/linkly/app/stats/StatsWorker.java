package io.linkly.app.stats;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.HttpResponses;
import io.linkly.app.link.LinkStore;
import io.linkly.app.link.PathParam;
import io.linkly.app.sql.SqlDatabase;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code stats} worker: what a link's clicks were, read from the clicks table.
 * {@code link::stats {code, from?, to?}} answers {@code {code, from, to, total, bots, by_day,
 * referrers, browsers, os, devices, last_click_id}} ({@link LinkStats}); {@code GET
 * /links/:code/stats?from=&to=} answers the same over HTTP.
 */
public final class StatsWorker {

  public static final String NAME = "stats";
  public static final String FUNCTION = "link::stats";

  private final Iii iii;
  private final LinkStats stats;

  public StatsWorker(Iii iii) {
    this.iii = iii;
    this.stats = new LinkStats(new SqlDatabase(iii, LinkStore.DB));
  }

  public void start() {
    iii.registerFunction(FUNCTION, (data, ctx) -> stats(data));
    iii.registerFunction("http::stats", (data, ctx) -> httpStats(data));
    iii.registerTrigger(TriggerBinding.of("http", "http::stats", Map.of("api_path", "/links/:code/stats", "http_method", "GET")));
    iii.logger(NAME).info("stats ready");
  }

  Map<String, Object> stats(JsonNode data) {
    JsonNode code = data.path("code");
    if (!code.isTextual() || code.textValue().isEmpty()) {
      throw new IiiException("INVALID_CODE", "code must be a non-empty string");
    }
    return stats.of(code.textValue(), StatsRange.of(data.get("from"), data.get("to")));
  }

  /** Through the engine, as the redirect resolves links: the call is a span of the request's trace. */
  Map<String, Object> httpStats(JsonNode request) {
    Optional<String> code = PathParam.decoded(request.path("path_params").path("code").asText(""));
    if (code.isEmpty()) {
      return HttpResponses.json(400, Map.of("error", "the short code in the path has a malformed percent-escape"));
    }
    JsonNode query = request.path("query_params"); // decoded by iii-http, one value per name
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("code", code.get());
    input.put("from", query.path("from").textValue());
    input.put("to", query.path("to").textValue());
    try {
      return HttpResponses.json(200, iii.trigger(TriggerRequest.of(FUNCTION, input)));
    } catch (IiiException e) {
      return switch (e.code()) {
        case "LINK_NOT_FOUND" -> HttpResponses.json(404, Map.of("error", "link not found"));
        case StatsRange.INVALID, "INVALID_CODE" -> HttpResponses.json(400, Map.of("error", e.getMessage()));
        default -> throw e;
      };
    }
  }
}
