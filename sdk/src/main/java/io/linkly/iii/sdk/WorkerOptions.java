package io.linkly.iii.sdk;

import io.linkly.iii.protocol.TriggerRegistrationResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * How a worker connects and behaves. Every field may be left unset (null) and then takes its
 * default: the name from {@code III_WORKER_NAME} or {@code hostname:pid}, a 30 s call timeout,
 * {@link ReconnectPolicy#DEFAULT}, no extra headers, a virtual thread per handler call.
 *
 * @param workerName the name reported to the engine (not unique, for display only)
 * @param description reported to the engine
 * @param invocationTimeout default timeout of calls made by this worker
 * @param reconnect backoff between connection attempts
 * @param headers extra HTTP headers on the WebSocket upgrade (e.g. for RBAC auth)
 * @param handlerExecutor runs handlers; never the I/O thread
 * @param onTriggerRegistrationError told when the engine rejects one of this worker's bindings
 */
public record WorkerOptions(
    String workerName,
    String description,
    Duration invocationTimeout,
    ReconnectPolicy reconnect,
    Map<String, String> headers,
    Executor handlerExecutor,
    Consumer<TriggerRegistrationResult> onTriggerRegistrationError) {

  public static final Duration DEFAULT_INVOCATION_TIMEOUT = Duration.ofSeconds(30);

  public WorkerOptions {
    invocationTimeout = invocationTimeout == null ? DEFAULT_INVOCATION_TIMEOUT : invocationTimeout;
    if (invocationTimeout.isNegative() || invocationTimeout.isZero()) {
      throw new IllegalArgumentException("invocationTimeout must be positive");
    }
    reconnect = reconnect == null ? ReconnectPolicy.DEFAULT : reconnect;
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  public static WorkerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.workerName = workerName;
    b.description = description;
    b.invocationTimeout = invocationTimeout;
    b.reconnect = reconnect;
    b.headers.putAll(headers);
    b.handlerExecutor = handlerExecutor;
    b.onTriggerRegistrationError = onTriggerRegistrationError;
    return b;
  }

  /** Builds {@link WorkerOptions}. */
  public static final class Builder {
    private String workerName;
    private String description;
    private Duration invocationTimeout;
    private ReconnectPolicy reconnect;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Executor handlerExecutor;
    private Consumer<TriggerRegistrationResult> onTriggerRegistrationError;

    private Builder() {}

    public Builder workerName(String name) {
      this.workerName = name;
      return this;
    }

    public Builder description(String text) {
      this.description = text;
      return this;
    }

    public Builder invocationTimeout(Duration timeout) {
      this.invocationTimeout = timeout;
      return this;
    }

    public Builder reconnect(ReconnectPolicy policy) {
      this.reconnect = policy;
      return this;
    }

    public Builder header(String name, String value) {
      this.headers.put(name, value);
      return this;
    }

    public Builder headers(Map<String, String> all) {
      this.headers.putAll(all);
      return this;
    }

    public Builder handlerExecutor(Executor executor) {
      this.handlerExecutor = executor;
      return this;
    }

    public Builder onTriggerRegistrationError(Consumer<TriggerRegistrationResult> listener) {
      this.onTriggerRegistrationError = listener;
      return this;
    }

    public WorkerOptions build() {
      return new WorkerOptions(
          workerName,
          description,
          invocationTimeout,
          reconnect,
          headers,
          handlerExecutor,
          onTriggerRegistrationError);
    }
  }
}
