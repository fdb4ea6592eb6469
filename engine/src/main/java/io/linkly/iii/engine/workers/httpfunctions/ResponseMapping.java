package io.linkly.iii.engine.workers.httpfunctions;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.Json;
import java.io.IOException;
import java.util.Map;

/**
 * What an endpoint's answer means to the caller (BUILTINS.md §10), as upstream maps it:
 *
 * <ul>
 *   <li>2xx: an empty body is no result; a JSON body is the result; anything else is
 *       {@code invalid_response} (a function must answer JSON);
 *   <li>1xx and 3xx: not errors and not results: the body if it is JSON, else no result;
 *   <li>400 and above: an error, with {@code code}/{@code message} from a body
 *       {@code {"error": {...}}} (defaults {@code http_error} / "HTTP request failed"), or
 *       {@code http_error} / "HTTP &lt;status&gt; &lt;reason&gt;".
 * </ul>
 */
final class ResponseMapping {

  static final String INVALID_RESPONSE = "invalid_response";
  static final String HTTP_ERROR = "http_error";

  /** One JSON value and nothing after it, as upstream's parser requires. */
  private static final ObjectReader STRICT =
      Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ResponseMapping() {}

  /** The call's result (null for none), or an {@link InvocationException} for an error. */
  static JsonNode map(int status, byte[] body) {
    if (status >= 200 && status < 300) {
      if (body.length == 0) {
        return null;
      }
      try {
        return parse(body);
      } catch (IOException e) {
        throw new InvocationException(INVALID_RESPONSE, firstLine(e.getMessage()));
      }
    }
    if (status < 400) {
      try {
        return parse(body);
      } catch (IOException e) {
        return null; // e.g. a redirect's HTML page: a result-less success, as upstream
      }
    }
    throw error(status, body);
  }

  private static InvocationException error(int status, byte[] body) {
    JsonNode json;
    try {
      json = parse(body);
    } catch (IOException e) {
      json = null;
    }
    JsonNode error = json == null || !json.isObject() ? null : json.get("error");
    if (error != null) {
      JsonNode code = error.get("code");
      JsonNode message = error.get("message");
      return new InvocationException(
          code != null && code.isTextual() ? code.textValue() : HTTP_ERROR,
          message != null && message.isTextual() ? message.textValue() : "HTTP request failed");
    }
    return new InvocationException(HTTP_ERROR, "HTTP " + status + " " + reason(status));
  }

  private static JsonNode parse(byte[] body) throws IOException {
    JsonNode value = STRICT.readTree(body);
    if (value == null || value.isMissingNode()) {
      throw new IOException("EOF while parsing a value");
    }
    return value;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "the response is not JSON";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  /** The reason phrase upstream prints after an error status (its HTTP library's list). */
  static String reason(int status) {
    return REASONS.getOrDefault(status, "<unknown status code>");
  }

  private static final Map<Integer, String> REASONS =
      Map.ofEntries(
          Map.entry(400, "Bad Request"),
          Map.entry(401, "Unauthorized"),
          Map.entry(402, "Payment Required"),
          Map.entry(403, "Forbidden"),
          Map.entry(404, "Not Found"),
          Map.entry(405, "Method Not Allowed"),
          Map.entry(406, "Not Acceptable"),
          Map.entry(407, "Proxy Authentication Required"),
          Map.entry(408, "Request Timeout"),
          Map.entry(409, "Conflict"),
          Map.entry(410, "Gone"),
          Map.entry(411, "Length Required"),
          Map.entry(412, "Precondition Failed"),
          Map.entry(413, "Payload Too Large"),
          Map.entry(414, "URI Too Long"),
          Map.entry(415, "Unsupported Media Type"),
          Map.entry(416, "Range Not Satisfiable"),
          Map.entry(417, "Expectation Failed"),
          Map.entry(418, "I'm a teapot"),
          Map.entry(421, "Misdirected Request"),
          Map.entry(422, "Unprocessable Entity"),
          Map.entry(423, "Locked"),
          Map.entry(424, "Failed Dependency"),
          Map.entry(426, "Upgrade Required"),
          Map.entry(428, "Precondition Required"),
          Map.entry(429, "Too Many Requests"),
          Map.entry(431, "Request Header Fields Too Large"),
          Map.entry(451, "Unavailable For Legal Reasons"),
          Map.entry(500, "Internal Server Error"),
          Map.entry(501, "Not Implemented"),
          Map.entry(502, "Bad Gateway"),
          Map.entry(503, "Service Unavailable"),
          Map.entry(504, "Gateway Timeout"),
          Map.entry(505, "HTTP Version Not Supported"),
          Map.entry(506, "Variant Also Negotiates"),
          Map.entry(507, "Insufficient Storage"),
          Map.entry(508, "Loop Detected"),
          Map.entry(510, "Not Extended"),
          Map.entry(511, "Network Authentication Required"));
}
