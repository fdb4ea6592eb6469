package io.linkly.iii.protocol;

/** JSON-level pong; ignored when received (PROTOCOL.md §3.13). */
public record Pong() implements Message {

  public static final String TYPE = "pong";
  public static final Pong INSTANCE = new Pong();

  @Override
  public String type() {
    return TYPE;
  }
}
