package io.linkly.iii.engine.core;

/**
 * A registered trigger type. A built-in type has a {@code provider}; a worker-provided one is
 * served by its owner's connection and {@code provider} is null.
 */
public record TriggerTypeEntry(
    String id,
    String description,
    com.fasterxml.jackson.databind.JsonNode triggerRequestFormat,
    com.fasterxml.jackson.databind.JsonNode callRequestFormat,
    Worker owner,
    TriggerProvider provider) {}
