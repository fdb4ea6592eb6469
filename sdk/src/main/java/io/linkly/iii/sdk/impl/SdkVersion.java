package io.linkly.iii.sdk.impl;

/** The version this SDK reports to the engine. */
final class SdkVersion {

  static final String VERSION = "0.1.0";

  private SdkVersion() {}
}
