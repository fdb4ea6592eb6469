package io.linkly.iii.engine.core;

/** The version this engine reports; it speaks the iii v0.22.1 protocol. */
public final class EngineVersion {

  public static final String VERSION = "0.22.1";

  private EngineVersion() {}
}
