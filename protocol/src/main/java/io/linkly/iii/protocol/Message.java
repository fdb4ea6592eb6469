package io.linkly.iii.protocol;

/**
 * One frame on the worker socket (PROTOCOL.md §3). Every message is a JSON object whose lowercase
 * {@code type} field names the variant; {@link MessageCodec} maps between the two.
 *
 * <p>Optional fields are {@code null} when absent. JSON payload fields ({@code data}, {@code config},
 * {@code metadata}, ...) stay parsed trees so that routing never re-parses or re-stringifies them.
 */
public sealed interface Message
    permits RegisterFunction, UnregisterFunction, RegisterTriggerType, UnregisterTriggerType,
        RegisterTrigger, UnregisterTrigger, TriggerRegistrationResult, InvokeFunction,
        InvocationResult, RegisterService, WorkerRegistered, Reattach, Ping, Pong {

  /** The wire value of the {@code type} tag. */
  String type();
}
