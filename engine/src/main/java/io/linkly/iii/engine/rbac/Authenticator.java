package io.linkly.iii.engine.rbac;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.InvocationException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Asks a listener's auth function who a new connection is (PROTOCOL.md §9.1): once per
 * connection, with its upgrade request's headers, raw query parameters and address. The answer
 * becomes the session's {@link SessionAccess}; a throw, no answer or an answer that is not an
 * AuthResult refuses the connection.
 */
public final class Authenticator {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Engine engine;
  private final ListenerPolicy policy;
  private final long timeoutMs;

  public Authenticator(Engine engine, ListenerPolicy policy, long timeoutMs) {
    this.engine = engine;
    this.policy = policy;
    this.timeoutMs = timeoutMs;
  }

  /** False for a listener that lets everyone in without asking. */
  public boolean asks() {
    return policy.authFunctionId() != null;
  }

  /** The access of a connection no auth function is asked about. */
  public SessionAccess unauthenticated() {
    return policy.isOpen() ? SessionAccess.OPEN : SessionAccess.permissive(policy);
  }

  /**
   * The access the auth function grants; fails with {@link AuthRefused} when it refuses.
   *
   * @param headers lower-case names, one value each
   * @param query values as sent, not URL-decoded
   */
  public CompletableFuture<SessionAccess> authenticate(
      Map<String, String> headers, Map<String, List<String>> query, String ipAddress) {
    ObjectNode input = JSON.objectNode();
    ObjectNode headerNode = input.putObject("headers");
    headers.forEach(headerNode::put);
    ObjectNode queryNode = input.putObject("query_params");
    query.forEach((name, values) -> values.forEach(queryNode.putArray(name)::add));
    input.put("ip_address", ipAddress);
    return engine
        .invoke(Call.of(policy.authFunctionId(), input).withTimeout(timeoutMs))
        .handle(
            (result, failure) -> {
              if (failure != null) {
                throw new AuthRefused(InvocationException.bodyOf(failure).message());
              }
              try {
                return SessionAccess.fromAuthResult(policy, result);
              } catch (IllegalArgumentException e) {
                throw new AuthRefused("the auth function's answer is not an AuthResult: " + e.getMessage());
              }
            });
  }

  /** The auth function refused the connection, or could not be asked. */
  public static final class AuthRefused extends RuntimeException {
    public AuthRefused(String message) {
      super(message, null, false, false);
    }
  }
}
