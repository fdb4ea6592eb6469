package io.linkly.iii.sdk.impl;

import java.time.Duration;

/**
 * WebSocket liveness: a ping frame every {@code pingInterval}; a connection that delivers nothing
 * for {@code idleTimeout} is closed and reopened (PROTOCOL.md §1.5).
 */
record Heartbeat(Duration pingInterval, Duration idleTimeout) {

  static final Heartbeat DEFAULT = new Heartbeat(Duration.ofSeconds(20), Duration.ofSeconds(60));
}
