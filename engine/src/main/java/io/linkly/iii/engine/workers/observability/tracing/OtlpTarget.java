package io.linkly.iii.engine.workers.observability.tracing;

import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * Where OTLP export goes and how: the {@code endpoint} key when the config has one, else the
 * standard {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} (a full URL) or
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} (a base URL, {@code /v1/traces} appended for HTTP), else
 * {@code http://localhost:4317}. The protocol is {@code OTEL_EXPORTER_OTLP_TRACES_PROTOCOL} or
 * {@code OTEL_EXPORTER_OTLP_PROTOCOL} when set ({@code grpc} or {@code http/protobuf}); otherwise
 * an endpoint on port 4318 or with a {@code /v1/traces} path is HTTP/protobuf, and anything else
 * (the default :4317) gRPC, as upstream speaks.
 */
record OtlpTarget(Protocol protocol, String url) {

  enum Protocol {
    GRPC,
    HTTP_PROTOBUF
  }

  static final String TRACES_PATH = "/v1/traces";

  static OtlpTarget resolve(String configuredEndpoint, Map<String, String> env) {
    String signalEndpoint = blankToNull(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    String baseEndpoint = blankToNull(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"));
    String endpoint;
    boolean fullUrl = false;
    if (configuredEndpoint != null) {
      endpoint = configuredEndpoint;
    } else if (signalEndpoint != null) {
      endpoint = signalEndpoint;
      fullUrl = true;
    } else if (baseEndpoint != null) {
      endpoint = baseEndpoint;
    } else {
      endpoint = TracingSettings.DEFAULT_ENDPOINT;
    }
    String protocolName = blankToNull(env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"));
    if (protocolName == null) {
      protocolName = blankToNull(env.get("OTEL_EXPORTER_OTLP_PROTOCOL"));
    }
    URI uri = URI.create(endpoint.trim());
    Protocol protocol;
    if (protocolName != null) {
      protocol =
          switch (protocolName.trim().toLowerCase(Locale.ROOT)) {
            case "grpc" -> Protocol.GRPC;
            case "http/protobuf", "http/json", "http" -> Protocol.HTTP_PROTOBUF; // JSON is not offered: protobuf it is
            default -> throw new IllegalArgumentException("OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf, got " + protocolName);
          };
    } else {
      String path = uri.getPath() == null ? "" : uri.getPath();
      protocol = uri.getPort() == 4318 || path.endsWith(TRACES_PATH) ? Protocol.HTTP_PROTOBUF : Protocol.GRPC;
    }
    String url = endpoint.trim();
    if (protocol == Protocol.HTTP_PROTOBUF && !fullUrl && !url.endsWith(TRACES_PATH)) {
      url = (url.endsWith("/") ? url.substring(0, url.length() - 1) : url) + TRACES_PATH;
    }
    return new OtlpTarget(protocol, url);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
