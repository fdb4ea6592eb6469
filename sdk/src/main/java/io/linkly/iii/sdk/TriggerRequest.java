package io.linkly.iii.sdk;

import io.linkly.iii.protocol.TriggerAction;
import java.time.Duration;

/**
 * One call. {@code action} null means synchronous; {@code timeout} null means the worker's
 * default. {@code payload} and {@code metadata} are any Jackson-mappable values; a null payload is
 * sent as JSON null.
 */
public record TriggerRequest(
    String functionId, Object payload, TriggerAction action, Duration timeout, Object metadata) {

  public TriggerRequest {
    if (functionId == null || functionId.isEmpty()) {
      throw new IllegalArgumentException("a trigger request needs a function id");
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("the timeout must be positive");
    }
  }

  public static TriggerRequest of(String functionId, Object payload) {
    return new TriggerRequest(functionId, payload, null, null, null);
  }

  public TriggerRequest withAction(TriggerAction newAction) {
    return new TriggerRequest(functionId, payload, newAction, timeout, metadata);
  }

  public TriggerRequest withTimeout(Duration newTimeout) {
    return new TriggerRequest(functionId, payload, action, newTimeout, metadata);
  }

  public TriggerRequest withMetadata(Object newMetadata) {
    return new TriggerRequest(functionId, payload, action, timeout, newMetadata);
  }
}
