package io.linkly.iii.engine.workers.stream.adapter;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One change of a stream group as it travels between engines: the fields of upstream's stream
 * wrapper message, without our per-engine {@code seq}/{@code epoch}. {@code kind} is
 * {@link #CREATE}, {@link #UPDATE}, {@link #DELETE} (data: the removed value) or {@link #EVENT}
 * (data: {@code {type, data}} of a {@code stream::send}); {@code itemId} may be null only for an
 * event.
 */
public record StreamChange(String stream, String group, String itemId, String kind, JsonNode data, long timestamp) {

  public static final String CREATE = "create";
  public static final String UPDATE = "update";
  public static final String DELETE = "delete";
  public static final String EVENT = "event";
}
