package io.linkly.iii.engine.workers.httpfunctions;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP endpoint on 127.0.0.1 for HTTP functions to call: the JDK's server, recording every
 * request it gets and answering each path as the test told it to (by default 200 with
 * {@code {"ok":true}}). It shares no code with the engine.
 */
final class Endpoint implements AutoCloseable {

  /** One request as the endpoint saw it; header names lower-cased. */
  record Request(String method, String path, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** How a path answers. */
  record Answer(int status, Map<String, String> headers, byte[] body, Duration delay) {
    static Answer json(int status, String json) {
      return new Answer(status, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8), Duration.ZERO);
    }

    static Answer text(int status, String text) {
      return new Answer(status, Map.of("Content-Type", "text/plain"), text.getBytes(StandardCharsets.UTF_8), Duration.ZERO);
    }

    static Answer empty(int status) {
      return new Answer(status, Map.of(), new byte[0], Duration.ZERO);
    }

    Answer withHeader(String name, String value) {
      Map<String, String> more = new HashMap<>(headers);
      more.put(name, value);
      return new Answer(status, more, body, delay);
    }

    Answer after(Duration wait) {
      return new Answer(status, headers, body, wait);
    }
  }

  private final HttpServer server;
  private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();

  Endpoint() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:<port><path>}. */
  String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  Endpoint answer(String path, Answer answer) {
    answers.put(path, answer);
    return this;
  }

  /** The next request, or null after five seconds. */
  Request next() throws InterruptedException {
    return requests.poll(5, TimeUnit.SECONDS);
  }

  /** The next request within {@code wait}, or null. */
  Request next(Duration wait) throws InterruptedException {
    return requests.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Map<String, String> headers = new HashMap<>();
      exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
      String path = exchange.getRequestURI().getPath();
      requests.add(new Request(exchange.getRequestMethod(), path, Map.copyOf(headers), body));
      Answer answer = answers.getOrDefault(path, Answer.json(200, "{\"ok\":true}"));
      if (!answer.delay().isZero()) {
        Thread.sleep(answer.delay().toMillis());
      }
      answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
      boolean noBody = answer.body().length == 0;
      exchange.sendResponseHeaders(answer.status(), noBody ? -1 : answer.body().length);
      if (!noBody) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(answer.body());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
