package io.linkly.iii.sdk;

import com.fasterxml.jackson.databind.JsonNode;

/** A binding as its trigger type's provider sees it. */
public record TriggerConfig(String id, String functionId, JsonNode config, JsonNode metadata) {}
