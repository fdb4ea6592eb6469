package io.linkly.iii.sdk;

/** A registered function. */
public interface FunctionRef {

  String id();

  /** Stops serving the function here and tells the engine; it is no longer replayed. */
  void unregister();
}
