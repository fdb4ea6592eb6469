package io.linkly.iii.engine.workers.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TriggerBinding;
import io.linkly.iii.engine.core.TriggerProvider.TriggerRejectedException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** An {@code http} trigger binding's config, validated (BUILTINS.md §9.2). */
record HttpBinding(
    String functionId, String method, String pattern, String conditionFunctionId, List<String> middlewareFunctionIds, JsonNode metadata) {

  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");

  static HttpBinding from(TriggerBinding binding) throws TriggerRejectedException {
    JsonNode config = binding.config();
    if (config == null || !config.isObject()) {
      throw new TriggerRejectedException("http trigger config must be an object with api_path");
    }
    JsonNode path = config.get("api_path");
    if (path == null || !path.isTextual() || path.textValue().isBlank()) {
      throw new TriggerRejectedException("http trigger requires api_path (a string)");
    }
    // kept as written: handlers see it as `path`; routing ignores the leading slash either way
    String pattern = path.textValue();
    JsonNode methodNode = config.get("http_method");
    String method = methodNode == null || methodNode.isNull() ? "GET" : methodNode.asText().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw new TriggerRejectedException("http_method '" + methodNode.asText() + "' is not one of " + METHODS);
    }
    JsonNode condition = config.get("condition_function_id");
    if (condition != null && !condition.isNull() && !condition.isTextual()) {
      throw new TriggerRejectedException("condition_function_id must be a string");
    }
    List<String> middleware = List.of();
    JsonNode mw = config.get("middleware_function_ids");
    if (mw != null && !mw.isNull()) {
      if (!mw.isArray()) {
        throw new TriggerRejectedException("middleware_function_ids must be a list of function ids");
      }
      middleware = new java.util.ArrayList<>();
      for (JsonNode id : mw) {
        if (!id.isTextual()) {
          throw new TriggerRejectedException("middleware_function_ids must be a list of function ids");
        }
        middleware.add(id.textValue());
      }
      middleware = List.copyOf(middleware);
    }
    return new HttpBinding(
        binding.functionId(),
        method,
        pattern,
        condition == null || condition.isNull() ? null : condition.textValue(),
        middleware,
        binding.metadata());
  }
}
