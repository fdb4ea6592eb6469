package io.linkly.iii.protocol;

/** W→E: "I no longer serve this function id" (PROTOCOL.md §3.2). */
public record UnregisterFunction(String id) implements Message {

  public static final String TYPE = "unregisterfunction";

  @Override
  public String type() {
    return TYPE;
  }
}
