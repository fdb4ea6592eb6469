package io.linkly.iii.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Maps protocol messages to and from JSON exactly as the v0.22.1 engine does (PROTOCOL.md §1.2):
 * snake_case names, a lowercase {@code type} tag, unknown fields ignored, {@code null} equal to
 * absent on input, empty optional fields omitted on output.
 *
 * <p>Decoding parses the frame into a tree once; payload subtrees are kept as they are. Encoding
 * streams straight into the caller's output.
 */
public final class MessageCodec {

  private final ObjectMapper mapper;

  public MessageCodec() {
    this(Json.mapper());
  }

  public MessageCodec(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  // ---------------------------------------------------------------- decoding

  public Message decode(byte[] bytes, int offset, int length) throws DecodeException {
    try (JsonParser parser = mapper.getFactory().createParser(bytes, offset, length)) {
      return decode(parser);
    } catch (IOException e) {
      throw new DecodeException("invalid JSON: " + e.getMessage(), e);
    }
  }

  public Message decode(String text) throws DecodeException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return decode(bytes, 0, bytes.length);
  }

  public Message decode(InputStream in) throws DecodeException {
    try (JsonParser parser = mapper.getFactory().createParser(in)) {
      return decode(parser);
    } catch (IOException e) {
      throw new DecodeException("invalid JSON: " + e.getMessage(), e);
    }
  }

  private Message decode(JsonParser parser) throws IOException, DecodeException {
    JsonNode root = mapper.readTree(parser);
    if (parser.nextToken() != null) {
      throw new DecodeException("trailing data after the JSON message");
    }
    if (root == null || !root.isObject()) {
      throw new DecodeException("a message must be a JSON object");
    }
    return decodeTree(root);
  }

  /** Decodes a message that has already been parsed into a tree. */
  public Message decodeTree(JsonNode root) throws DecodeException {
    String type = requiredString(root, "type");
    return switch (type) {
      case RegisterFunction.TYPE ->
          new RegisterFunction(
              requiredString(root, "id"),
              optionalString(root, "description"),
              optionalTree(root, "request_format"),
              optionalTree(root, "response_format"),
              optionalTree(root, "metadata"),
              optionalObject(root, "invocation"));
      case UnregisterFunction.TYPE -> new UnregisterFunction(requiredString(root, "id"));
      case RegisterTriggerType.TYPE ->
          new RegisterTriggerType(
              requiredString(root, "id"),
              requiredString(root, "description"),
              optionalTree(root, "trigger_request_format"),
              optionalTree(root, "call_request_format"));
      case UnregisterTriggerType.TYPE -> new UnregisterTriggerType(requiredString(root, "id"));
      case RegisterTrigger.TYPE ->
          new RegisterTrigger(
              requiredString(root, "id"),
              requiredString(root, "trigger_type"),
              requiredString(root, "function_id"),
              requiredPresent(root, "config"),
              optionalTree(root, "metadata"));
      case UnregisterTrigger.TYPE ->
          new UnregisterTrigger(requiredString(root, "id"), optionalString(root, "trigger_type"));
      case TriggerRegistrationResult.TYPE ->
          new TriggerRegistrationResult(
              requiredString(root, "id"),
              requiredString(root, "trigger_type"),
              requiredString(root, "function_id"),
              optionalError(root, "error"));
      case InvokeFunction.TYPE ->
          new InvokeFunction(
              optionalUuid(root, "invocation_id"),
              requiredString(root, "function_id"),
              requiredPresent(root, "data"),
              optionalAction(root),
              optionalTree(root, "metadata"),
              optionalString(root, "traceparent"),
              optionalString(root, "baggage"),
              optionalPositiveLong(root, "timeout_ms"));
      case InvocationResult.TYPE ->
          new InvocationResult(
              requiredUuid(root, "invocation_id"),
              requiredString(root, "function_id"),
              optionalTree(root, "result"),
              optionalError(root, "error"),
              optionalString(root, "traceparent"),
              optionalString(root, "baggage"));
      case RegisterService.TYPE ->
          new RegisterService(
              requiredString(root, "id"),
              optionalString(root, "name"),
              optionalString(root, "description"),
              optionalString(root, "parent_service_id"));
      case WorkerRegistered.TYPE ->
          new WorkerRegistered(
              requiredString(root, "worker_id"), optionalString(root, "reattach_token"));
      case Reattach.TYPE ->
          new Reattach(
              requiredString(root, "previous_worker_id"), optionalString(root, "reattach_token"));
      case Ping.TYPE -> Ping.INSTANCE;
      case Pong.TYPE -> Pong.INSTANCE;
      default -> throw new DecodeException("unknown message type '" + type + "'");
    };
  }

  private static JsonNode present(JsonNode root, String field) {
    JsonNode node = root.get(field);
    return node == null || node.isNull() ? null : node;
  }

  private static String requiredString(JsonNode root, String field) throws DecodeException {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      throw new DecodeException("missing field '" + field + "'");
    }
    if (!node.isTextual()) {
      throw new DecodeException("field '" + field + "' must be a string");
    }
    return node.textValue();
  }

  private static String optionalString(JsonNode root, String field) throws DecodeException {
    JsonNode node = present(root, field);
    if (node == null) {
      return null;
    }
    if (!node.isTextual()) {
      throw new DecodeException("field '" + field + "' must be a string");
    }
    return node.textValue();
  }

  private static Long optionalPositiveLong(JsonNode root, String field) throws DecodeException {
    JsonNode node = present(root, field);
    if (node == null) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() <= 0) {
      throw new DecodeException("field '" + field + "' must be a positive integer");
    }
    return node.longValue();
  }

  private static JsonNode optionalTree(JsonNode root, String field) {
    return present(root, field);
  }

  private static JsonNode optionalObject(JsonNode root, String field) throws DecodeException {
    JsonNode node = present(root, field);
    if (node != null && !node.isObject()) {
      throw new DecodeException("field '" + field + "' must be an object");
    }
    return node;
  }

  /** Required key whose value may be any JSON, including {@code null}. */
  private static JsonNode requiredPresent(JsonNode root, String field) throws DecodeException {
    JsonNode node = root.get(field);
    if (node == null) {
      throw new DecodeException("missing field '" + field + "'");
    }
    return node;
  }

  private static UUID optionalUuid(JsonNode root, String field) throws DecodeException {
    String text = optionalString(root, field);
    if (text == null) {
      return null;
    }
    UUID uuid = Uuids.parseStrict(text);
    if (uuid == null) {
      throw new DecodeException("field '" + field + "' must be a UUID");
    }
    return uuid;
  }

  private static UUID requiredUuid(JsonNode root, String field) throws DecodeException {
    UUID uuid = optionalUuid(root, field);
    if (uuid == null) {
      throw new DecodeException("missing field '" + field + "'");
    }
    return uuid;
  }

  private static ErrorBody optionalError(JsonNode root, String field) throws DecodeException {
    JsonNode node = present(root, field);
    if (node == null) {
      return null;
    }
    if (!node.isObject()) {
      throw new DecodeException("field '" + field + "' must be an error object");
    }
    return new ErrorBody(
        requiredString(node, "code"),
        requiredString(node, "message"),
        optionalString(node, "stacktrace"));
  }

  private static TriggerAction optionalAction(JsonNode root) throws DecodeException {
    JsonNode node = present(root, "action");
    if (node == null) {
      return null;
    }
    if (!node.isObject()) {
      throw new DecodeException("field 'action' must be an object");
    }
    String type = requiredString(node, "type");
    return switch (type) {
      case "void" -> TriggerAction.VOID;
      case "enqueue" -> new TriggerAction.Enqueue(requiredString(node, "queue"));
      default -> throw new DecodeException("unknown action type '" + type + "'");
    };
  }

  // ---------------------------------------------------------------- encoding

  public byte[] encode(Message message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    encode(message, out);
    return out.toByteArray();
  }

  public String encodeToString(Message message) {
    return new String(encode(message), StandardCharsets.UTF_8);
  }

  public void encode(Message message, OutputStream out) {
    try (JsonGenerator gen = mapper.getFactory().createGenerator(out)) {
      gen.writeStartObject();
      gen.writeStringField("type", message.type());
      switch (message) {
        case RegisterFunction m -> {
          gen.writeStringField("id", m.id());
          string(gen, "description", m.description());
          tree(gen, "request_format", m.requestFormat());
          tree(gen, "response_format", m.responseFormat());
          tree(gen, "metadata", m.metadata());
          tree(gen, "invocation", m.invocation());
        }
        case UnregisterFunction m -> gen.writeStringField("id", m.id());
        case RegisterTriggerType m -> {
          gen.writeStringField("id", m.id());
          gen.writeStringField("description", m.description());
          tree(gen, "trigger_request_format", m.triggerRequestFormat());
          tree(gen, "call_request_format", m.callRequestFormat());
        }
        case UnregisterTriggerType m -> gen.writeStringField("id", m.id());
        case RegisterTrigger m -> {
          gen.writeStringField("id", m.id());
          gen.writeStringField("trigger_type", m.triggerType());
          gen.writeStringField("function_id", m.functionId());
          gen.writeFieldName("config");
          gen.writeTree(m.config() == null ? NullNode.instance : m.config());
          tree(gen, "metadata", m.metadata());
        }
        case UnregisterTrigger m -> {
          gen.writeStringField("id", m.id());
          string(gen, "trigger_type", m.triggerType());
        }
        case TriggerRegistrationResult m -> {
          gen.writeStringField("id", m.id());
          gen.writeStringField("trigger_type", m.triggerType());
          gen.writeStringField("function_id", m.functionId());
          error(gen, m.error());
        }
        case InvokeFunction m -> {
          if (m.invocationId() != null) {
            gen.writeStringField("invocation_id", m.invocationId().toString());
          }
          gen.writeStringField("function_id", m.functionId());
          gen.writeFieldName("data");
          gen.writeTree(m.data());
          action(gen, m.action());
          tree(gen, "metadata", m.metadata());
          string(gen, "traceparent", m.traceparent());
          string(gen, "baggage", m.baggage());
          if (m.timeoutMs() != null) {
            gen.writeNumberField("timeout_ms", m.timeoutMs());
          }
        }
        case InvocationResult m -> {
          gen.writeStringField("invocation_id", m.invocationId().toString());
          gen.writeStringField("function_id", m.functionId());
          if (m.error() != null) {
            error(gen, m.error());
          } else {
            tree(gen, "result", m.result());
          }
          string(gen, "traceparent", m.traceparent());
          string(gen, "baggage", m.baggage());
        }
        case RegisterService m -> {
          gen.writeStringField("id", m.id());
          string(gen, "name", m.name());
          string(gen, "description", m.description());
          string(gen, "parent_service_id", m.parentServiceId());
        }
        case WorkerRegistered m -> {
          gen.writeStringField("worker_id", m.workerId());
          string(gen, "reattach_token", m.reattachToken());
        }
        case Reattach m -> {
          gen.writeStringField("previous_worker_id", m.previousWorkerId());
          string(gen, "reattach_token", m.reattachToken());
        }
        case Ping p -> {}
        case Pong p -> {}
      }
      gen.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void string(JsonGenerator gen, String field, String value) throws IOException {
    if (value != null) {
      gen.writeStringField(field, value);
    }
  }

  private static void tree(JsonGenerator gen, String field, JsonNode value) throws IOException {
    if (value != null && !value.isNull()) {
      gen.writeFieldName(field);
      gen.writeTree(value);
    }
  }

  private static void error(JsonGenerator gen, ErrorBody error) throws IOException {
    if (error == null) {
      return;
    }
    gen.writeObjectFieldStart("error");
    gen.writeStringField("code", error.code());
    gen.writeStringField("message", error.message());
    string(gen, "stacktrace", error.stacktrace());
    gen.writeEndObject();
  }

  private static void action(JsonGenerator gen, TriggerAction action) throws IOException {
    switch (action) {
      case null -> {}
      case TriggerAction.FireAndForget v -> {
        gen.writeObjectFieldStart("action");
        gen.writeStringField("type", "void");
        gen.writeEndObject();
      }
      case TriggerAction.Enqueue e -> {
        gen.writeObjectFieldStart("action");
        gen.writeStringField("type", "enqueue");
        gen.writeStringField("queue", e.queue());
        gen.writeEndObject();
      }
    }
  }

  /** Skips whitespace-only frames, which upstream ignores rather than reports. */
  public static boolean isBlank(byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      byte b = bytes[i];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return false;
      }
    }
    return true;
  }
}
