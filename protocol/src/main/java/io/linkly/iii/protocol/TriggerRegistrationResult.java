package io.linkly.iii.protocol;

/** A provider's verdict on a binding; {@code error == null} means accepted (PROTOCOL.md §3.6). */
public record TriggerRegistrationResult(
    String id, String triggerType, String functionId, ErrorBody error) implements Message {

  public static final String TYPE = "triggerregistrationresult";

  @Override
  public String type() {
    return TYPE;
  }
}
