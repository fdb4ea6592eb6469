package io.linkly.iii.sdk;

/**
 * A {@link FunctionHandler} whose input is converted to {@code I} first. Input that does not
 * convert is answered with {@code deserialization_error} without calling the handler.
 */
@FunctionalInterface
public interface TypedHandler<I> {

  Object handle(I input, InvocationContext context) throws Exception;
}
