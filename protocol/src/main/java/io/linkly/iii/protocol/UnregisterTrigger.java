package io.linkly.iii.protocol;

/** Both directions: remove a binding by id; {@code triggerType} is only a hint (PROTOCOL.md §3.5). */
public record UnregisterTrigger(String id, String triggerType) implements Message {

  public static final String TYPE = "unregistertrigger";

  @Override
  public String type() {
    return TYPE;
  }
}
