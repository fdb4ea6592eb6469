package io.linkly.iii.engine.workers.observability.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.linkly.iii.engine.workers.observability.tracing.OtlpTarget.Protocol;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where spans are exported, from the config's endpoint and the standard OTEL_EXPORTER_OTLP_* variables. */
class OtlpTargetTest {

  @Test
  void theDefaultIsGrpcOnLocalhost4317() {
    assertThat(OtlpTarget.resolve(null, Map.of())).isEqualTo(new OtlpTarget(Protocol.GRPC, "http://localhost:4317"));
  }

  @Test
  void theConfiguredEndpointWinsAndItsShapeTellsTheProtocol() {
    Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://elsewhere:4317");
    assertThat(OtlpTarget.resolve("http://collector:4317", env)).isEqualTo(new OtlpTarget(Protocol.GRPC, "http://collector:4317"));
    assertThat(OtlpTarget.resolve("http://collector:4318", env))
        .isEqualTo(new OtlpTarget(Protocol.HTTP_PROTOBUF, "http://collector:4318/v1/traces"));
    assertThat(OtlpTarget.resolve("https://otlp.example/v1/traces", env))
        .isEqualTo(new OtlpTarget(Protocol.HTTP_PROTOBUF, "https://otlp.example/v1/traces"));
  }

  @Test
  void theStandardVariablesApplyWithoutAConfiguredEndpoint() {
    assertThat(OtlpTarget.resolve(null, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")))
        .isEqualTo(new OtlpTarget(Protocol.HTTP_PROTOBUF, "http://c:4318/v1/traces"));
    assertThat(OtlpTarget.resolve(null, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:9000", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")))
        .isEqualTo(new OtlpTarget(Protocol.HTTP_PROTOBUF, "http://c:9000/v1/traces"));
    // the signal's own endpoint is used as given, and beats the base one
    assertThat(OtlpTarget.resolve(null, Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4317",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:9000/custom",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf",
            "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")))
        .isEqualTo(new OtlpTarget(Protocol.HTTP_PROTOBUF, "http://c:9000/custom"));
    assertThat(OtlpTarget.resolve(null, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")))
        .isEqualTo(new OtlpTarget(Protocol.GRPC, "http://c:4318"));
    assertThatThrownBy(() -> OtlpTarget.resolve(null, Map.of("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")))
        .hasMessageContaining("grpc or http/protobuf");
  }
}
