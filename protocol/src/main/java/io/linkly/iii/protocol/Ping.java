package io.linkly.iii.protocol;

/** JSON-level ping; the engine answers {@link Pong} (PROTOCOL.md §3.13). */
public record Ping() implements Message {

  public static final String TYPE = "ping";
  public static final Ping INSTANCE = new Ping();

  @Override
  public String type() {
    return TYPE;
  }
}
