package io.linkly.iii.protocol;

/** W→E service grouping, bookkeeping only (PROTOCOL.md §3.12). */
public record RegisterService(String id, String name, String description, String parentServiceId)
    implements Message {

  public static final String TYPE = "registerservice";

  @Override
  public String type() {
    return TYPE;
  }
}
