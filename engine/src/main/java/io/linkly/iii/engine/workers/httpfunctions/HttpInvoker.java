package io.linkly.iii.engine.workers.httpfunctions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.Router;
import io.linkly.iii.protocol.ErrorCodes;
import io.linkly.iii.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Carries out calls to HTTP functions (BUILTINS.md §10): the URL is checked again, the invocation
 * data is sent as JSON with the {@code x-iii-*} headers, the configured ones and the credentials,
 * and the answer is mapped by {@link ResponseMapping}. Redirects are never followed (a redirect
 * could lead past the URL checks).
 *
 * <p>Nothing here blocks a caller's thread: the request is asynchronous, and the one blocking step,
 * a name lookup for the URL check, runs on a virtual thread. Every call ends within its timeout
 * ({@code timeout_ms}, 30 s when absent, never more than 60 s), and at most
 * {@value #MAX_CALLS_IN_FLIGHT} are in flight at once; past that a call fails at once with
 * {@code worker_busy} rather than queueing without bound.
 */
final class HttpInvoker implements AutoCloseable {

  static final long DEFAULT_TIMEOUT_MS = 30_000;
  static final long MAX_TIMEOUT_MS = 60_000;
  static final int MAX_CALLS_IN_FLIGHT = 1024;
  /** As large as a worker frame may be: a bigger result could not reach its caller anyway. */
  static final long MAX_RESPONSE_BYTES = 64L * 1024 * 1024;

  static final String HTTP_REQUEST_FAILED = "http_request_failed";
  static final String HTTP_RESPONSE_FAILED = "http_response_failed";

  private final UrlPolicy policy;
  private final Executor blocking;
  private final ScheduledExecutorService timers;
  private final Clock clock;
  private final HttpClient client;
  private final Semaphore callsInFlight = new Semaphore(MAX_CALLS_IN_FLIGHT);

  HttpInvoker(UrlPolicy policy, Executor blocking, ScheduledExecutorService timers, Clock clock) {
    this.policy = policy;
    this.blocking = blocking;
    this.timers = timers;
    this.clock = clock;
    this.client =
        HttpClient.newBuilder()
            // HTTP/1.1 only: the JDK's default would offer an h2c upgrade that some servers refuse.
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(blocking)
            .build();
  }

  UrlPolicy policy() {
    return policy;
  }

  /** Calls {@code endpoint} for {@code functionId} with {@code data}; cancelling abandons the request. */
  CompletableFuture<JsonNode> invoke(String functionId, HttpEndpoint endpoint, EndpointAuth auth, JsonNode data) {
    if (!callsInFlight.tryAcquire()) {
      return CompletableFuture.failedFuture(
          new InvocationException(
              Router.WORKER_BUSY,
              "iii-http-functions already has " + MAX_CALLS_IN_FLIGHT + " calls in flight; try again later"));
    }
    CompletableFuture<JsonNode> outcome = new CompletableFuture<>();
    outcome.whenComplete((value, failure) -> callsInFlight.release());
    Runnable send =
        () -> {
          try {
            send(functionId, endpoint, auth, data, outcome);
          } catch (RuntimeException e) {
            outcome.completeExceptionally(
                new InvocationException(ErrorCodes.INVOCATION_FAILED, "the HTTP call could not be made: " + e));
          }
        };
    if (policy.needsLookup(endpoint.url())) {
      blocking.execute(send);
    } else {
      send.run();
    }
    return outcome;
  }

  private void send(
      String functionId, HttpEndpoint endpoint, EndpointAuth auth, JsonNode data, CompletableFuture<JsonNode> outcome) {
    if (outcome.isDone()) {
      return; // abandoned while its URL was being checked
    }
    HttpRequest request;
    URI uri;
    try {
      uri = policy.check(endpoint.url());
      byte[] body = body(data);
      long timestamp = clock.millis() / 1000;
      request = request(uri, functionId, endpoint, auth, body, timestamp);
    } catch (InvocationException e) {
      outcome.completeExceptionally(e);
      return;
    }
    long timeoutMs = timeoutMs(endpoint);
    AtomicBoolean answered = new AtomicBoolean(); // the status line and headers have arrived
    CompletableFuture<HttpResponse<byte[]>> exchange =
        client.sendAsync(
            request,
            info -> {
              answered.set(true);
              return new BoundedBody(MAX_RESPONSE_BYTES);
            });
    ScheduledFuture<?> deadline =
        timers.schedule(
            () -> {
              if (outcome.completeExceptionally(timedOut(uri, timeoutMs, answered.get()))) {
                exchange.cancel(true);
              }
            },
            timeoutMs,
            TimeUnit.MILLISECONDS);
    outcome.whenComplete(
        (value, failure) -> {
          deadline.cancel(false);
          if (failure instanceof CancellationException) {
            exchange.cancel(true); // the caller gave up: so does the request
          }
        });
    exchange.whenComplete(
        (response, failure) -> {
          if (failure != null) {
            outcome.completeExceptionally(transportFailure(uri, unwrap(failure), answered.get()));
            return;
          }
          try {
            outcome.complete(ResponseMapping.map(response.statusCode(), response.body()));
          } catch (InvocationException e) {
            outcome.completeExceptionally(e);
          }
        });
  }

  private HttpRequest request(
      URI uri, String functionId, HttpEndpoint endpoint, EndpointAuth auth, byte[] body, long timestamp) {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri)
              .method(endpoint.method(), HttpRequest.BodyPublishers.ofByteArray(body))
              .header("Content-Type", "application/json")
              .header("x-iii-Function-Path", functionId)
              .header("x-iii-Invocation-ID", UUID.randomUUID().toString())
              .header("x-iii-Timestamp", Long.toString(timestamp));
      for (Map.Entry<String, String> header : endpoint.headers().entrySet()) {
        request.header(header.getKey(), header.getValue());
      }
      if (auth != null) {
        auth.apply(request, body, timestamp);
      }
      return request.build();
    } catch (IllegalArgumentException e) {
      // A header the JDK will not send (Host, Connection, …; a malformed name) or a scheme other
      // than http(s): every call fails the same way, as upstream's do with such a request.
      throw new InvocationException(
          HTTP_REQUEST_FAILED, "error building the request for url (" + uri + "): " + e.getMessage());
    }
  }

  private static byte[] body(JsonNode data) {
    try {
      return Json.mapper().writeValueAsBytes(data);
    } catch (JsonProcessingException e) {
      throw new InvocationException(ErrorCodes.SERIALIZATION_ERROR, e.getOriginalMessage());
    }
  }

  static long timeoutMs(HttpEndpoint endpoint) {
    long requested = endpoint.timeoutMs() == null ? DEFAULT_TIMEOUT_MS : endpoint.timeoutMs();
    return Math.max(1, Math.min(requested, MAX_TIMEOUT_MS));
  }

  private static InvocationException timedOut(URI uri, long timeoutMs, boolean answered) {
    return answered
        ? new InvocationException(
            HTTP_RESPONSE_FAILED, "error reading the response body from url (" + uri + "): timed out after " + timeoutMs + " ms")
        : new InvocationException(
            HTTP_REQUEST_FAILED, "error sending request for url (" + uri + "): timed out after " + timeoutMs + " ms");
  }

  /** Before the response began: the request failed; after: reading its body did. */
  private static InvocationException transportFailure(URI uri, Throwable failure, boolean answered) {
    return answered
        ? new InvocationException(
            HTTP_RESPONSE_FAILED, "error reading the response body from url (" + uri + "): " + causes(failure))
        : new InvocationException(HTTP_REQUEST_FAILED, "error sending request for url (" + uri + "): " + causes(failure));
  }

  /** Every cause's message, outermost first, so the reason (refused, reset, …) is in the text. */
  private static String causes(Throwable failure) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String text = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      if (out.indexOf(text) >= 0) {
        continue; // wrappers often repeat their cause's message
      }
      if (!out.isEmpty()) {
        out.append(": ");
      }
      out.append(text);
    }
    return out.toString();
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public void close() {
    client.shutdownNow();
  }
}
