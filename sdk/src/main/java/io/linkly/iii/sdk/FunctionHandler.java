package io.linkly.iii.sdk;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Serves one function. Runs on a virtual thread, so it may block. The returned value is converted
 * to JSON ({@code null} means "no result"); a thrown {@link IiiException} reaches the caller with
 * its code, anything else as {@code invocation_failed}.
 */
@FunctionalInterface
public interface FunctionHandler {

  Object handle(JsonNode data, InvocationContext context) throws Exception;
}
