package io.linkly.iii.engine.rbac;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.config.ConfigBlock;
import io.linkly.iii.engine.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A listener's {@code rbac} block (PROTOCOL.md §9): who connects (the auth function), what its
 * sessions may call ({@code expose_functions}), and the hooks that vet their registrations. Every
 * id is optional.
 */
public record RbacConfig(
    String authFunctionId,
    List<FunctionFilter> exposeFunctions,
    String onFunctionRegistration,
    String onTriggerTypeRegistration,
    String onTriggerRegistration) {

  public static RbacConfig fromConfig(ConfigBlock block) throws ConfigException {
    ConfigBlock config =
        block.onlyKeys(
            Set.of(
                "auth_function_id", "expose_functions", "on_function_registration_function_id",
                "on_trigger_type_registration_function_id", "on_trigger_registration_function_id"));
    List<FunctionFilter> filters = new ArrayList<>();
    JsonNode expose = config.node().path("expose_functions");
    if (!expose.isMissingNode() && !expose.isNull()) {
      if (!expose.isArray()) {
        throw new ConfigException(config.path() + ".expose_functions: expected a list");
      }
      for (int i = 0; i < expose.size(); i++) {
        filters.add(FunctionFilter.parse(expose.get(i), config.path() + ".expose_functions[" + i + "]"));
      }
    }
    return new RbacConfig(
        config.string("auth_function_id", null),
        List.copyOf(filters),
        config.string("on_function_registration_function_id", null),
        config.string("on_trigger_type_registration_function_id", null),
        config.string("on_trigger_registration_function_id", null));
  }

  boolean exposes(String functionId, JsonNode metadata) {
    for (FunctionFilter filter : exposeFunctions) {
      if (filter.matches(functionId, metadata)) {
        return true;
      }
    }
    return false;
  }

  boolean hasRegistrationHooks() {
    return onFunctionRegistration != null || onTriggerTypeRegistration != null || onTriggerRegistration != null;
  }
}
