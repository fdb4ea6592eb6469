package io.linkly.iii.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * What a handler knows about the call it serves.
 *
 * @param invocationId the engine's correlation id; {@code null} when no reply is expected
 * @param functionId the function being served
 * @param metadata the caller's or the trigger binding's metadata; {@code null} when absent
 * @param traceparent W3C trace context of the call, if any
 * @param baggage W3C baggage of the call, if any
 * @param callerWorkerId the calling worker's id, when the engine reported one
 * @param iii the worker serving the call, for calling other functions
 */
public record InvocationContext(
    UUID invocationId,
    String functionId,
    JsonNode metadata,
    String traceparent,
    String baggage,
    String callerWorkerId,
    Iii iii) {}
