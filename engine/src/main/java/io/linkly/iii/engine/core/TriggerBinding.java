package io.linkly.iii.engine.core;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * "When this trigger type fires with this config, call this function." {@code ownerWorkerId} is
 * null for bindings made through {@code engine::register_trigger}, which outlive their caller.
 */
public record TriggerBinding(
    String id, String triggerType, String functionId, JsonNode config, JsonNode metadata, String ownerWorkerId) {}
