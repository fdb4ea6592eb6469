package io.linkly.iii.protocol;

/** E→W, the first frame of every connection (PROTOCOL.md §3.9). */
public record WorkerRegistered(String workerId, String reattachToken) implements Message {

  public static final String TYPE = "workerregistered";

  @Override
  public String type() {
    return TYPE;
  }
}
