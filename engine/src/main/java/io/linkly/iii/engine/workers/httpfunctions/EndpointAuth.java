package io.linkly.iii.engine.workers.httpfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.InvocationException;
import java.net.http.HttpRequest;
import java.util.function.Function;

/**
 * How an HTTP function proves itself to its endpoint. The registration names environment variables
 * ({@code secret_key}, {@code token_key}, {@code value_key}), never the secrets, so no secret
 * travels over the worker socket; they are read once, at registration, and a missing one refuses
 * it ({@code secret_not_found}, {@code token_not_found}, {@code api_key_not_found}).
 *
 * <p>The records hold secrets: their {@code toString} never shows them.
 */
sealed interface EndpointAuth {

  /** Adds the credentials to a request whose body and timestamp are final. */
  void apply(HttpRequest.Builder request, byte[] body, long timestampSeconds);

  record Hmac(String secret) implements EndpointAuth {
    @Override
    public void apply(HttpRequest.Builder request, byte[] body, long timestampSeconds) {
      request.header("x-iii-Signature", RequestSignature.sign(body, secret, timestampSeconds));
    }

    @Override
    public String toString() {
      return "Hmac[secret=***]";
    }
  }

  record Bearer(String token) implements EndpointAuth {
    @Override
    public void apply(HttpRequest.Builder request, byte[] body, long timestampSeconds) {
      request.header("Authorization", "Bearer " + token);
    }

    @Override
    public String toString() {
      return "Bearer[token=***]";
    }
  }

  record ApiKey(String header, String value) implements EndpointAuth {
    @Override
    public void apply(HttpRequest.Builder request, byte[] body, long timestampSeconds) {
      request.header(header, value);
    }

    @Override
    public String toString() {
      return "ApiKey[header=" + header + ", value=***]";
    }
  }

  /**
   * Reads an {@code auth} block and its secret from {@code env}; null when there is no block.
   * A block of an unknown type or with a missing field is refused as upstream cannot read it.
   */
  static EndpointAuth resolve(JsonNode block, Function<String, String> env) {
    if (block == null) {
      return null;
    }
    if (!block.isObject()) {
      throw HttpEndpoint.invalid("`auth` must be an object");
    }
    String type = field(block, "type");
    return switch (type) {
      case "hmac" -> {
        String key = field(block, "secret_key");
        yield new Hmac(secret(env, key, "secret_not_found", "Secret not found: "));
      }
      case "bearer" -> {
        String key = field(block, "token_key");
        yield new Bearer(secret(env, key, "token_not_found", "Token not found: "));
      }
      case "api_key" -> {
        String header = field(block, "header");
        String key = field(block, "value_key");
        yield new ApiKey(header, secret(env, key, "api_key_not_found", "API key not found: "));
      }
      default -> throw HttpEndpoint.invalid("unknown `auth.type` '" + type + "', expected hmac, bearer or api_key");
    };
  }

  private static String field(JsonNode block, String name) {
    JsonNode value = block.get(name);
    if (value == null || !value.isTextual()) {
      throw HttpEndpoint.invalid("`auth." + name + "` must be a string");
    }
    return value.textValue();
  }

  private static String secret(Function<String, String> env, String variable, String code, String message) {
    String value = env.apply(variable);
    if (value == null) {
      throw new InvocationException(code, message + variable);
    }
    return value;
  }
}
