package io.linkly.iii.engine.core;

import io.netty.buffer.ByteBuf;

/**
 * Where an SDK's telemetry frames go (PROTOCOL.md §1.9): the body of a binary frame after its
 * 4-byte prefix, an OTLP JSON export request. Called on an event loop: it must not block and must
 * not keep {@code body} past the call.
 */
@FunctionalInterface
public interface TelemetrySink {

  /** The frame kinds, by their prefix. */
  enum Kind {
    SPANS("OTLP"),
    METRICS("MTRC"),
    LOGS("LOGS");

    private final String prefix;

    Kind(String prefix) {
      this.prefix = prefix;
    }

    public String prefix() {
      return prefix;
    }
  }

  void accept(ByteBuf body);
}
