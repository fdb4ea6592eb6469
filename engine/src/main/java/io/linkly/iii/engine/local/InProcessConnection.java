package io.linkly.iii.engine.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.Connection;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Session;
import io.linkly.iii.protocol.InvocationResult;
import io.linkly.iii.protocol.InvokeFunction;
import io.linkly.iii.protocol.Message;
import io.linkly.iii.protocol.MessageSink;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker in the engine's own JVM: its messages reach its {@link Session} by a method call, and
 * the engine's reach it the same way, with no socket and no JSON text.
 *
 * <p>Payloads cross as parsed trees, and each side must own what it holds: otherwise a handler that
 * kept or changed a tree would change what the other side holds (a stored state value, a caller's
 * request). The engine copies each tree it sends, since it may hold it elsewhere too (a stored
 * value, one event fanned out to several subscribers). The worker hands its trees over: the Java
 * SDK sends only trees nobody else holds (it copies those its user gave it, and not the many it
 * builds from maps), so they are taken as they are; that halves the copying of every call.
 */
public final class InProcessConnection implements Connection {

  private static final Logger log = LoggerFactory.getLogger(InProcessConnection.class);

  private final MessageSink toWorker;
  private final AtomicBoolean open = new AtomicBoolean(true);
  private Session session;

  private InProcessConnection(MessageSink toWorker) {
    this.toWorker = toWorker;
  }

  /**
   * Opens a session for a worker in this JVM; returns where the worker sends its messages. The
   * engine takes the trees of each message given to that sink as its own: the worker must not keep
   * or change them afterwards.
   */
  public static MessageSink attach(Engine engine, MessageSink toWorker) {
    InProcessConnection connection = new InProcessConnection(toWorker);
    connection.session = engine.open(connection);
    return new MessageSink() {
      @Override
      public void accept(Message message) {
        if (connection.open.get()) {
          connection.session.onMessage(message);
        }
      }

      @Override
      public void closed(String reason) {
        if (connection.open.compareAndSet(true, false)) {
          connection.session.closed();
        }
      }
    };
  }

  @Override
  public void send(Message message) {
    if (!open.get()) {
      return;
    }
    try {
      toWorker.accept(detached(message));
    } catch (RuntimeException e) {
      log.warn("an in-process worker failed to take a {} message", message.type(), e);
    }
  }

  @Override
  public void close(String reason) {
    if (open.compareAndSet(true, false)) {
      session.closed();
      toWorker.closed(reason);
    }
  }

  @Override
  public String remoteAddress() {
    return null;
  }

  private static Message detached(Message message) {
    return switch (message) {
      case InvokeFunction m -> m.withData(copy(m.data()));
      case InvocationResult m ->
          m.result() == null || m.result().isValueNode()
              ? m
              : new InvocationResult(m.invocationId(), m.functionId(), m.result().deepCopy(), m.error(), m.traceparent(), m.baggage());
      default -> message;
    };
  }

  private static JsonNode copy(JsonNode node) {
    return node.isValueNode() ? node : node.deepCopy();
  }
}
