package io.linkly.iii.engine.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One {@code workers:} entry of config.yaml: a built-in worker's name and its config block.
 * {@code path} locates the entry for error messages, e.g. {@code workers[2]}. {@code seed} is the
 * block as written, its {@code ${VAR}} placeholders unexpanded: what a built-in stores in the
 * configuration worker on the first start, so that the stored value keeps following the
 * environment (the configuration worker expands placeholders on every read).
 */
public record WorkerEntry(String name, JsonNode config, String path, JsonNode seed) {

  /** An entry whose block has no placeholders, or whose unexpanded form is not known. */
  public WorkerEntry(String name, JsonNode config, String path) {
    this(name, config, path, config);
  }
}
