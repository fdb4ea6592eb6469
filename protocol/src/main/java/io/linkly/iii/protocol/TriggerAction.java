package io.linkly.iii.protocol;

/**
 * How a caller wants a call handled (PROTOCOL.md §4). Absent means synchronous; there is no
 * variant for it. The factory names mirror the upstream SDKs: {@code TriggerAction.Void()},
 * {@code TriggerAction.Enqueue("clicks")}.
 */
public sealed interface TriggerAction {

  /** Fire-and-forget: the caller gets no reply. */
  record FireAndForget() implements TriggerAction {}

  /** Hand the call to a named queue; the caller gets {@code {messageReceiptId}}. */
  record Enqueue(String queue) implements TriggerAction {
    public Enqueue {
      if (queue == null) {
        throw new IllegalArgumentException("an enqueue action needs a queue name");
      }
    }
  }

  FireAndForget VOID = new FireAndForget();

  @SuppressWarnings("MethodName")
  static TriggerAction Void() {
    return VOID;
  }

  @SuppressWarnings("MethodName")
  static TriggerAction Enqueue(String queue) {
    return new Enqueue(queue);
  }
}
