package io.linkly.iii.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

  private final MessageCodec codec = new MessageCodec();

  private JsonNode tree(Message m) throws Exception {
    return Json.mapper().readTree(codec.encode(m));
  }

  @Test
  void decodesNodeSdkRegisterTriggerAndIgnoresUnknownFields() throws Exception {
    Message m =
        codec.decode(
            """
            {"type":"registertrigger","function_id":"example::fn","config":{"api_path":"x"},
             "metadata":{"m":1},"id":"bdfe21d0-6251-479a-91ea-b5c924bfb3d3",
             "message_type":"registertrigger","trigger_type":"http"}""");
    assertThat(m).isInstanceOf(RegisterTrigger.class);
    RegisterTrigger t = (RegisterTrigger) m;
    assertThat(t.functionId()).isEqualTo("example::fn");
    assertThat(t.triggerType()).isEqualTo("http");
    assertThat(t.config().get("api_path").asText()).isEqualTo("x");
    assertThat(t.metadata().get("m").asInt()).isEqualTo(1);
  }

  @Test
  void invokeFunctionKeepsActionsAndRequiresData() throws Exception {
    InvokeFunction v =
        (InvokeFunction)
            codec.decode(
                "{\"type\":\"invokefunction\",\"function_id\":\"a::b\",\"data\":{\"v\":1},\"action\":{\"type\":\"void\"}}");
    assertThat(v.invocationId()).isNull();
    assertThat(v.action()).isEqualTo(TriggerAction.Void());

    InvokeFunction e =
        (InvokeFunction)
            codec.decode(
                "{\"type\":\"invokefunction\",\"invocation_id\":\"186495d8-6b0a-481c-b7fa-b50ffabaab86\","
                    + "\"function_id\":\"a::b\",\"data\":null,\"action\":{\"type\":\"enqueue\",\"queue\":\"jobs\"}}");
    assertThat(e.invocationId()).isEqualTo(UUID.fromString("186495d8-6b0a-481c-b7fa-b50ffabaab86"));
    assertThat(e.data().isNull()).isTrue();
    assertThat(e.action()).isEqualTo(TriggerAction.Enqueue("jobs"));

    assertThatThrownBy(
            () -> codec.decode("{\"type\":\"invokefunction\",\"function_id\":\"a::b\"}"))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("data");
  }

  @Test
  void nullEqualsAbsentOnInput() throws Exception {
    InvokeFunction m =
        (InvokeFunction)
            codec.decode(
                "{\"type\":\"invokefunction\",\"invocation_id\":null,\"function_id\":\"a\",\"data\":1,"
                    + "\"action\":null,\"metadata\":null,\"traceparent\":null}");
    assertThat(m.invocationId()).isNull();
    assertThat(m.action()).isNull();
    assertThat(m.metadata()).isNull();
    assertThat(m.traceparent()).isNull();
  }

  @Test
  void rejectsMalformedFrames() {
    String[] bad = {
      "not json",
      "[1,2]",
      "{\"type\":\"nosuchtype\"}",
      "{\"id\":\"x\"}",
      "{\"type\":\"registerfunction\",\"id\":7}",
      "{\"type\":\"registertriggertype\",\"id\":\"t\"}",
      "{\"type\":\"registertrigger\",\"id\":\"b\",\"trigger_type\":\"t\",\"function_id\":\"f\"}",
      "{\"type\":\"invokefunction\",\"invocation_id\":\"1-1-1-1-1\",\"function_id\":\"a\",\"data\":1}",
      "{\"type\":\"invokefunction\",\"function_id\":\"a\",\"data\":1,\"action\":{\"type\":\"later\"}}",
      "{\"type\":\"invocationresult\",\"function_id\":\"a\"}",
      "{\"type\":\"invocationresult\",\"invocation_id\":\"186495d8-6b0a-481c-b7fa-b50ffabaab86\","
          + "\"function_id\":\"a\",\"error\":{\"code\":1}}",
      "{\"type\":\"ping\"} {\"type\":\"ping\"}",
    };
    for (String frame : bad) {
      assertThatThrownBy(() -> codec.decode(frame))
          .as(frame)
          .isInstanceOf(DecodeException.class);
    }
  }

  @Test
  void omitsEmptyOptionalFieldsOnOutput() throws Exception {
    UUID id = UUID.randomUUID();
    JsonNode noValue = tree(InvocationResult.success(id, "a::b", null));
    assertThat(noValue.has("result")).isFalse();
    assertThat(noValue.has("error")).isFalse();
    assertThat(noValue.get("invocation_id").asText()).isEqualTo(id.toString());

    JsonNode nullValue =
        tree(InvocationResult.success(id, "a::b", com.fasterxml.jackson.databind.node.NullNode.instance));
    assertThat(nullValue.has("result")).as("null result is omitted").isFalse();

    JsonNode failed = tree(InvocationResult.failure(id, "a::b", ErrorBody.functionNotFound("a::b")));
    assertThat(failed.get("error").get("code").asText()).isEqualTo("function_not_found");
    assertThat(failed.get("error").get("message").asText()).isEqualTo("Function a::b not found");
    assertThat(failed.get("error").has("stacktrace")).isFalse();

    JsonNode reg = tree(new RegisterFunction("x"));
    assertThat(reg.size()).isEqualTo(2);
  }

  @Test
  void everyMessageRoundTrips() throws Exception {
    UUID id = UUID.randomUUID();
    JsonNode data = Json.mapper().readTree("{\"a\":[1,2,{\"b\":null}]}");
    Message[] all = {
      new RegisterFunction("f", "d", data, data, data, Json.object().put("url", "http://x")),
      new UnregisterFunction("f"),
      new RegisterTriggerType("t", "desc", data, null),
      new UnregisterTriggerType("t"),
      new RegisterTrigger("b", "t", "f", data, data),
      new UnregisterTrigger("b", "t"),
      new TriggerRegistrationResult("b", "t", "f", new ErrorBody("c", "m", "s")),
      new InvokeFunction(id, "f", data, TriggerAction.Enqueue("q"), data, "tp", "bg"),
      new InvokeFunction(null, "f", data, TriggerAction.Void(), null, null, null),
      new InvocationResult(id, "f", data, null, "tp", null),
      new RegisterService("s", "n", "d", "p"),
      new WorkerRegistered("w", "r"),
      new Reattach("w", "r"),
      Ping.INSTANCE,
      Pong.INSTANCE,
    };
    for (Message m : all) {
      assertThat(codec.decode(codec.encodeToString(m))).as(m.type()).isEqualTo(m);
    }
  }

  @Test
  void strictUuidParsing() {
    assertThat(Uuids.parseStrict("186495d8-6b0a-481c-b7fa-b50ffabaab86")).isNotNull();
    assertThat(Uuids.parseStrict("186495d86b0a481cb7fab50ffabaab86")).isNull();
    assertThat(Uuids.parseStrict("186495d8-6b0a-481c-b7fa-b50ffabaab8g")).isNull();
    UUID fast = Uuids.fast();
    assertThat(fast.version()).isEqualTo(4);
    assertThat(fast.variant()).isEqualTo(2);
  }
}
