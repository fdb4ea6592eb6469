package io.linkly.iii.engine.rbac;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.HashSet;
import java.util.Set;

/**
 * What one connection may do (PROTOCOL.md §9): its listener's policy plus what the auth function
 * granted it. Fixed when the connection is accepted.
 *
 * @param allowedTriggerTypes the trigger types it may bind; null means all
 * @param context handed to the listener's middleware and registration hooks
 * @param registrationPrefix when set, its functions are stored as {@code prefix::id}
 */
public record SessionAccess(
    ListenerPolicy listener,
    Set<String> allowedFunctions,
    Set<String> forbiddenFunctions,
    Set<String> allowedTriggerTypes,
    boolean allowTriggerTypeRegistration,
    boolean allowFunctionRegistration,
    JsonNode context,
    String registrationPrefix) {

  /** Engine functions every session may call, whatever its listener exposes (upstream's carve-out). */
  static final Set<String> INFRASTRUCTURE =
      Set.of(
          "engine::channels::create", "engine::workers::register",
          "engine::log::info", "engine::log::warn", "engine::log::error", "engine::log::debug", "engine::log::trace",
          "engine::baggage::get", "engine::baggage::set", "engine::baggage::get_all");

  /** A session of a listener with neither rbac nor middleware. */
  public static final SessionAccess OPEN = permissive(ListenerPolicy.OPEN);

  /** Everything allowed but what the listener itself restricts (an rbac block without auth). */
  public static SessionAccess permissive(ListenerPolicy listener) {
    return new SessionAccess(listener, Set.of(), Set.of(), null, true, true, JsonNodeFactory.instance.objectNode(), null);
  }

  public boolean isOpen() {
    return listener.isOpen();
  }

  public boolean hasRegistrationHooks() {
    return listener.rbac() != null && listener.rbac().hasRegistrationHooks();
  }

  /**
   * Why this session may not call {@code functionId}, or null when it may (§9.2, in upstream's
   * order: forbidden, allowed, infrastructure, no rbac, exposed).
   */
  public String denial(String functionId, JsonNode metadata) {
    if (forbiddenFunctions.contains(functionId)) {
      return "function '" + functionId + "' not allowed (remove from rbac.forbidden_functions)";
    }
    if (allowedFunctions.contains(functionId)
        || INFRASTRUCTURE.contains(functionId)
        || listener.rbac() == null
        || listener.rbac().exposes(functionId, metadata)) {
      return null;
    }
    return "function '" + functionId + "' not allowed (add to rbac.expose_functions)";
  }

  public boolean mayCall(String functionId, JsonNode metadata) {
    return denial(functionId, metadata) == null;
  }

  /** The id a function this session registers as {@code localId} is stored under. */
  public String storedId(String localId) {
    return registrationPrefix == null ? localId : registrationPrefix + "::" + localId;
  }

  public boolean mayBind(String triggerType) {
    return allowedTriggerTypes == null || allowedTriggerTypes.contains(triggerType);
  }

  /**
   * The session an auth function's answer grants (§9.1); fails with {@link
   * IllegalArgumentException} when the answer is not an AuthResult.
   */
  public static SessionAccess fromAuthResult(ListenerPolicy listener, JsonNode result) {
    if (result == null || !result.isObject()) {
      throw new IllegalArgumentException("the auth function must return an object, got " + (result == null ? "nothing" : result.getNodeType()));
    }
    JsonNode context = result.path("context");
    if (!context.isMissingNode() && !context.isNull() && !context.isObject()) {
      throw new IllegalArgumentException("context must be an object");
    }
    JsonNode prefix = result.path("function_registration_prefix");
    if (!prefix.isMissingNode() && !prefix.isNull() && !prefix.isTextual()) {
      throw new IllegalArgumentException("function_registration_prefix must be a string");
    }
    return new SessionAccess(
        listener,
        ids(result, "allowed_functions", Set.of()),
        ids(result, "forbidden_functions", Set.of()),
        ids(result, "allowed_trigger_types", null),
        flag(result, "allow_trigger_type_registration", false),
        flag(result, "allow_function_registration", true),
        context.isObject() ? context : JsonNodeFactory.instance.objectNode(),
        prefix.isTextual() && !prefix.textValue().isEmpty() ? prefix.textValue() : null);
  }

  private static Set<String> ids(JsonNode result, String key, Set<String> absent) {
    JsonNode list = result.path(key);
    if (list.isMissingNode() || list.isNull()) {
      return absent;
    }
    if (!list.isArray()) {
      throw new IllegalArgumentException(key + " must be a list of strings");
    }
    Set<String> ids = new HashSet<>();
    for (JsonNode id : list) {
      if (!id.isTextual()) {
        throw new IllegalArgumentException(key + " must be a list of strings");
      }
      ids.add(id.textValue());
    }
    return Set.copyOf(ids);
  }

  private static boolean flag(JsonNode result, String key, boolean absent) {
    JsonNode value = result.path(key);
    if (value.isMissingNode() || value.isNull()) {
      return absent;
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException(key + " must be true or false");
    }
    return value.booleanValue();
  }
}
