package io.linkly.app.api;

import io.linkly.app.Linkly;
import io.linkly.app.link.HttpResponses;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.TriggerBinding;
import java.util.Map;

/**
 * Serves Linkly's OpenAPI document at {@code GET /openapi.json}: the routes, their inputs and every
 * answer's shape, written by hand beside the code ({@code api/openapi.json} in the jar) and held to
 * the real responses by {@code OpenApiContractTest}.
 */
public final class OpenApiWorker {

  public static final String NAME = "api-docs";
  static final String RESOURCE = "/api/openapi.json";

  private final Iii iii;
  private final String document;

  public OpenApiWorker(Iii iii) {
    this.iii = iii;
    this.document = Linkly.resource(RESOURCE);
  }

  public void start() {
    iii.registerFunction("api::openapi", (data, ctx) -> document());
    iii.registerTrigger(TriggerBinding.of("http", "api::openapi", Map.of("api_path", "/openapi.json", "http_method", "GET")));
  }

  private Map<String, Object> document() {
    // a string body with a content type is sent as it is
    return HttpResponses.of(200, Map.of("content-type", "application/json", "cache-control", "no-cache", "access-control-allow-origin", "*"), document);
  }
}
