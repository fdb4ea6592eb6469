package io.linkly.iii.engine.metrics;

/** A metric (or collector) added to {@link Metrics}; closing it takes it out of every later scrape. */
@FunctionalInterface
public interface Registration extends AutoCloseable {

  @Override
  void close();
}
