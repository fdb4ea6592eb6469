package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;

/** What a worker reported about itself through {@code engine::workers::register}. */
public record WorkerMetadata(
    String name,
    String description,
    String runtime,
    String version,
    String os,
    Long pid,
    String isolation,
    JsonNode telemetry) {

  public static final WorkerMetadata UNKNOWN =
      new WorkerMetadata(null, null, null, null, null, null, null, null);
}
