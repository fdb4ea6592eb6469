package io.linkly.iii.engine.workers.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A plain socket speaking HTTP/1.1 by hand, for requests no well-behaved client would send
 * (malformed, half-sent, pipelined). Header bytes are read as ISO-8859-1 so a test sees exactly
 * what went over the wire.
 */
final class RawHttp implements AutoCloseable {

  /** A safety net against a server that never answers, not a timing assertion. */
  private static final int READ_TIMEOUT_MS = 20_000;

  private final Socket socket;
  private final InputStream in;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.socket.setSoTimeout(READ_TIMEOUT_MS);
    this.in = new BufferedInputStream(socket.getInputStream());
  }

  static RawHttp connect(int port) throws IOException {
    return new RawHttp(new Socket("127.0.0.1", port));
  }

  RawHttp send(String text) throws IOException {
    return send(text.getBytes(StandardCharsets.UTF_8));
  }

  RawHttp send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return this;
  }

  /** One response; its body is read by Content-Length, or not at all after a HEAD request. */
  Response read(boolean head) throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new EOFException("the server closed the connection without a response");
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    String line;
    while ((line = line()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(line.substring(colon + 1).trim());
    }
    int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", List.of("0")).get(0));
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new EOFException("the body ended after " + body.length + " of " + length + " bytes");
    }
    return new Response(Integer.parseInt(statusLine.substring(9, 12)), headers, new String(body, StandardCharsets.UTF_8));
  }

  Response read() throws IOException {
    return read(false);
  }

  /** True once the server has closed its side (what it sent before is skipped). */
  boolean closedByServer() throws IOException {
    try {
      while (in.read() != -1) {
        // skip
      }
      return true;
    } catch (SocketException reset) {
      return true;
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        String text = bytes.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      bytes.write(b);
    }
    return bytes.size() == 0 ? null : bytes.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  record Response(int status, Map<String, List<String>> headers, String body) {

    String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : values.get(0);
    }

    JsonNode json() {
      try {
        return Json.mapper().readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    /** The code of the engine's error envelope {@code {"error":{"code","message"}}}. */
    String errorCode() {
      return json().path("error").path("code").asText(null);
    }
  }
}
