package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;

/**
 * A cross-cutting step every invocation passes, whoever made it (a socket, an in-process worker, a
 * built-in, a trigger): caller identity, counters, and later RBAC, HTTP middleware and tracing.
 * An interceptor may change the call, answer it itself, or observe the outcome; it must not block.
 *
 * <p>To keep cancellation working (a caller that leaves, an HTTP 504), an interceptor that only
 * observes returns the very future {@link Chain#proceed} gave it, not a derived one.
 */
@FunctionalInterface
public interface InvocationInterceptor {

  CompletableFuture<JsonNode> intercept(Chain chain);

  /** The rest of the chain from this interceptor on. */
  interface Chain {

    Call call();

    /** Passes {@code call} (possibly changed) to the next interceptor, or to the target. */
    CompletableFuture<JsonNode> proceed(Call call);
  }
}
