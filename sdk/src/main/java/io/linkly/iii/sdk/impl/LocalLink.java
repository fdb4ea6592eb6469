package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.LocalEngine;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageSink;
import io.linkly.iii.sdk.IiiException;

/**
 * The worker's link to an engine in the same JVM: the same messages, handed over by a method call
 * with no socket and no JSON text. It never reconnects: the engine it is attached to lives and dies
 * with the process. Deadlines are the engine's (each call carries its {@code timeout_ms}), so calls
 * need no local timer either.
 */
final class LocalLink implements Link {

  private final LocalEngine engine;
  private final LinkListener listener;
  private volatile MessageSink toEngine;
  private volatile boolean closed;

  LocalLink(LocalEngine engine, LinkListener listener) {
    this.engine = engine;
    this.listener = listener;
  }

  @Override
  public boolean takesTrees() {
    return true; // InProcessConnection hands the worker's trees to the engine as they are
  }

  @Override
  public void start() {
    MessageSink sink =
        engine.attach(
            new MessageSink() {
              @Override
              public void accept(Message message) {
                listener.onMessage(message);
              }

              @Override
              public void closed(String reason) {
                if (!closed) {
                  closed = true;
                  toEngine = null;
                  listener.onDisconnected();
                }
              }
            });
    listener.replay().forEach(sink::accept);
    sink.accept(listener.announcement());
    toEngine = sink;
  }

  @Override
  public void send(Message message) {
    MessageSink sink = toEngine;
    if (sink != null) {
      sink.accept(message);
    }
  }

  @Override
  public void sendOrQueue(Message message, PendingCall call) {
    MessageSink sink = toEngine;
    if (sink == null) {
      throw new IiiException(IiiException.UNKNOWN, "the in-process engine has stopped");
    }
    sink.accept(message);
  }

  @Override
  public boolean onDeliveryThread() {
    return false; // messages arrive on the engine's threads, and handlers never run on them
  }

  @Override
  public void stop() {
    closed = true;
    MessageSink sink = toEngine;
    toEngine = null;
    if (sink != null) {
      sink.closed("worker shut down");
    }
  }
}
