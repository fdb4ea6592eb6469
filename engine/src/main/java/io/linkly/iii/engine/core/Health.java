package io.linkly.iii.engine.core;

/** How one component of the engine is doing, and why when it is not fine. */
public record Health(Status status, String reason) {

  public enum Status {
    OK,
    /** Works, but not as it should (nearly full, slow, retrying). */
    DEGRADED,
    /** Does not do its job now. */
    FAILING
  }

  public static Health ok() {
    return new Health(Status.OK, null);
  }

  public static Health degraded(String reason) {
    return new Health(Status.DEGRADED, reason);
  }

  public static Health failing(String reason) {
    return new Health(Status.FAILING, reason);
  }

  /** The worse of the two. */
  public Health worst(Health other) {
    return other.status.compareTo(status) > 0 ? other : this;
  }
}
