package io.linkly.iii.engine.core;

/** A change in the set of connected workers, as {@code engine::workers-available} reports it. */
public record WorkerEvent(Kind kind, String workerId) {

  public enum Kind {
    WORKER_CONNECTED("worker_connected"),
    WORKER_DISCONNECTED("worker_disconnected"),
    WORKER_METADATA_UPDATED("worker_metadata_updated");

    private final String wire;

    Kind(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }
}
