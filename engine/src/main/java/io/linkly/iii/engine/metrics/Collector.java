package io.linkly.iii.engine.metrics;

/**
 * Writes whole metric families at scrape time, for metrics whose label sets come and go (one
 * series per function, per queue). It runs on a virtual thread, so it may block briefly (a
 * queue backend's stats); it must not keep the writer.
 */
@FunctionalInterface
public interface Collector {

  void collect(MetricWriter out);
}
