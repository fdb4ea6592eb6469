package io.linkly.iii.engine.core;

/**
 * A component's own view of its health, asked by {@code engine::health::check}. May block briefly
 * (a database ping); it runs off the event loops.
 */
@FunctionalInterface
public interface HealthCheck {
  Health check();
}
