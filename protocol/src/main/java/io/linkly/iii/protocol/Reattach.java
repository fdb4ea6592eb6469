package io.linkly.iii.protocol;

/** W→E, first frame of a reconnect: evict my previous connection (PROTOCOL.md §1.7). */
public record Reattach(String previousWorkerId, String reattachToken) implements Message {

  public static final String TYPE = "reattach";

  @Override
  public String type() {
    return TYPE;
  }
}
