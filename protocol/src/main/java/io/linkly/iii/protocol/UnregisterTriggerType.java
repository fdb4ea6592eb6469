package io.linkly.iii.protocol;

/**
 * W→E: the provider withdraws a trigger type. The v0.22.1 engine drops this frame; ours honours it
 * (PROTOCOL.md §3.11 leaves the choice open), which no upstream client can tell apart.
 */
public record UnregisterTriggerType(String id) implements Message {

  public static final String TYPE = "unregistertriggertype";

  @Override
  public String type() {
    return TYPE;
  }
}
