package io.linkly.iii.engine.rbac;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.protocol.RegisterFunction;
import io.linkly.iii.protocol.RegisterTrigger;
import io.linkly.iii.protocol.RegisterTriggerType;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vets a session's registrations (PROTOCOL.md §9.4): the flags its auth result set, then the
 * listener's hook, which allows by returning an object (whose fields may rewrite the
 * registration) and denies by throwing or returning anything else; then the session's prefix.
 * Each admission completes with the registration to apply, or null when it is denied; denials
 * are silent to the worker, as upstream's are, and logged here.
 */
public final class RegistrationGate {

  private static final Logger log = LoggerFactory.getLogger(RegistrationGate.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Engine engine;
  private final SessionAccess access;
  private final String workerId;

  public RegistrationGate(Engine engine, SessionAccess access, String workerId) {
    this.engine = engine;
    this.access = access;
    this.workerId = workerId;
  }

  /** The function to register, its id already prefixed, or null. */
  public CompletableFuture<RegisterFunction> admitFunction(RegisterFunction m) {
    if (!access.allowFunctionRegistration()) {
      return denied("function", m.id(), "function registration is not allowed for this session");
    }
    ObjectNode input = JSON.objectNode();
    input.put("function_id", m.id());
    input.put("description", m.description());
    input.set("metadata", m.metadata());
    return vet(hooks() == null ? null : hooks().onFunctionRegistration(), "function", m.id(), input, verdict -> {
      String id = text(verdict, "function_id", m.id());
      String description = text(verdict, "description", m.description());
      JsonNode metadata = verdict.has("metadata") ? verdict.get("metadata") : m.metadata();
      return new RegisterFunction(access.storedId(id), description, m.requestFormat(), m.responseFormat(), metadata, m.invocation());
    });
  }

  public CompletableFuture<RegisterTriggerType> admitTriggerType(RegisterTriggerType m) {
    if (!access.allowTriggerTypeRegistration()) {
      return denied("trigger type", m.id(), "trigger type registration is not allowed for this session");
    }
    ObjectNode input = JSON.objectNode();
    input.put("trigger_type_id", m.id());
    input.put("description", m.description());
    return vet(hooks() == null ? null : hooks().onTriggerTypeRegistration(), "trigger type", m.id(), input, verdict ->
        new RegisterTriggerType(
            text(verdict, "trigger_type_id", m.id()),
            text(verdict, "description", m.description()),
            m.triggerRequestFormat(),
            m.callRequestFormat()));
  }

  /** The binding to register, its function id already prefixed, or null. */
  public CompletableFuture<RegisterTrigger> admitTrigger(RegisterTrigger m) {
    if (!access.mayBind(m.triggerType())) {
      return denied("trigger", m.id(), "trigger type " + m.triggerType() + " is not in allowed_trigger_types");
    }
    ObjectNode input = JSON.objectNode();
    input.put("trigger_id", m.id());
    input.put("trigger_type", m.triggerType());
    input.put("function_id", m.functionId());
    input.set("config", m.config());
    input.set("metadata", m.metadata());
    return vet(hooks() == null ? null : hooks().onTriggerRegistration(), "trigger", m.id(), input, verdict ->
        new RegisterTrigger(
            text(verdict, "trigger_id", m.id()),
            text(verdict, "trigger_type", m.triggerType()),
            access.storedId(text(verdict, "function_id", m.functionId())),
            verdict.has("config") ? verdict.get("config") : m.config(),
            m.metadata()));
  }

  private RbacConfig hooks() {
    return access.listener().rbac();
  }

  private <T> CompletableFuture<T> vet(
      String hookId, String what, String id, ObjectNode input, Function<JsonNode, T> admitted) {
    if (hookId == null) {
      return CompletableFuture.completedFuture(admitted.apply(JSON.objectNode()));
    }
    input.set("context", access.context());
    return engine
        .invoke(Call.of(hookId, input))
        .handle(
            (verdict, failure) -> {
              if (failure != null) {
                return logDenial(what, id, "the hook " + hookId + " refused it: " + failure.getMessage());
              }
              if (verdict == null || !verdict.isObject()) {
                return logDenial(what, id, "the hook " + hookId + " returned no object");
              }
              return admitted.apply(verdict);
            });
  }

  private <T> CompletableFuture<T> denied(String what, String id, String reason) {
    return CompletableFuture.completedFuture(logDenial(what, id, reason));
  }

  private <T> T logDenial(String what, String id, String reason) {
    log.info("worker {}: {} {} not registered: {}", workerId, what, LogSafe.escape(id), LogSafe.escape(reason));
    return null;
  }

  private static String text(JsonNode verdict, String key, String fallback) {
    JsonNode value = verdict.get(key);
    return value != null && value.isTextual() ? value.textValue() : fallback;
  }
}
