package io.linkly.iii.engine.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One {@code workers:} entry of config.yaml: a built-in worker's name and its config block.
 * {@code path} locates the entry for error messages, e.g. {@code workers[2]}.
 */
public record WorkerEntry(String name, JsonNode config, String path) {}
