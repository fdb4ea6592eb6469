package io.linkly.iii.sdk;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import io.linkly.iii.sdk.impl.ChannelSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.function.Supplier;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read end of a data channel as an {@link InputStream} of its binary frames; its text frames
 * are messages, handed to {@link #onMessage} callbacks. It connects on the first read. At most a
 * few frames wait here: past that the socket is not read, so the engine holds the writer back.
 * End of stream is the writer's close; a channel that is given up instead (its writer never came,
 * the engine stopped, the connection broke) fails the read with an {@link IOException} rather
 * than looking like a complete stream.
 *
 * <p>Serialised to JSON (a payload, a result) it is its ref, so it can be passed on as it is.
 */
public final class ChannelReader extends InputStream {

  private static final Logger log = LoggerFactory.getLogger(ChannelReader.class);

  /** Frames (or parts of one) received but not read yet, past which the socket is not read. */
  private static final int MAX_WAITING_FRAMES = 16;
  /** The same in bytes: a writer's frames may be large. */
  private static final long MAX_WAITING_BYTES = 4L * 1024 * 1024;

  /** Where this end connects; worked out on first use, as most ends handed to a handler never are. */
  private final Supplier<URI> uri;
  private final ObjectNode ref;
  private final List<Consumer<String>> messageHandlers = new CopyOnWriteArrayList<>();
  private final ReentrantLock connecting = new ReentrantLock();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<ByteBuffer> frames = new ArrayDeque<>();
  private volatile ChannelSocket socket;
  private boolean ended;
  private IOException failure;
  private boolean closed;
  /** A frame was not asked for because too many waited: ask once one has been read. */
  private boolean starved;
  private long waitingBytes;

  public ChannelReader(Supplier<URI> uri, ObjectNode ref) {
    this.uri = uri;
    this.ref = ref;
  }

  /** The ref of this end ({@code channel_id}, {@code access_key}, {@code direction: "read"}). */
  @JsonValue
  public ObjectNode ref() {
    return ref;
  }

  /**
   * The live end a handler was given for a ref in its input, e.g. {@code
   * ChannelReader.from(data.get("reader"))}.
   *
   * @throws IiiException ({@code INVALID_CHANNEL}) when {@code node} is not a read channel ref
   */
  public static ChannelReader from(JsonNode node) {
    if (node instanceof POJONode pojo && pojo.getPojo() instanceof ChannelReader end) {
      return end;
    }
    throw new IiiException("INVALID_CHANNEL", "expected a channel ref with direction \"read\"");
  }

  /**
   * Calls {@code handler} with every text message, on the channel's I/O thread (keep it short).
   * Register it before the first read: messages that arrive before it are not kept.
   */
  public void onMessage(Consumer<String> handler) {
    messageHandlers.add(handler);
  }

  /** Connects now instead of on the first read (to receive messages without reading bytes). */
  public void connect() throws IOException {
    if (socket != null) {
      return;
    }
    connecting.lock();
    try {
      if (socket == null) {
        socket = ChannelSocket.connect(uri.get(), new Events());
      }
    } finally {
      connecting.unlock();
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    connect();
    lock.lock();
    try {
      while (true) {
        ByteBuffer head = frames.peek();
        if (head != null) {
          int n = Math.min(length, head.remaining());
          head.get(into, offset, n);
          waitingBytes -= n;
          if (!head.hasRemaining()) {
            frames.poll();
            if (starved) {
              starved = false;
              socket.request();
            }
          }
          return n;
        }
        if (failure != null) {
          throw failure;
        }
        if (ended || closed) {
          return -1;
        }
        changed.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int available() {
    lock.lock();
    try {
      ByteBuffer head = frames.peek();
      return head == null ? 0 : head.remaining();
    } finally {
      lock.unlock();
    }
  }

  /** Stops reading: the engine drops what was not read and cuts the writer off. */
  @Override
  public void close() {
    ChannelSocket s;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      frames.clear();
      waitingBytes = 0;
      s = socket;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.close(1000, "channel_close");
    }
  }

  private final class Events implements ChannelSocket.Events {
    @Override
    public boolean binary(ByteBuffer frame) {
      lock.lock();
      try {
        if (closed) {
          return false;
        }
        frames.add(frame);
        waitingBytes += frame.remaining();
        changed.signalAll();
        starved = frames.size() >= MAX_WAITING_FRAMES || waitingBytes >= MAX_WAITING_BYTES;
        return !starved;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public boolean text(String message) {
      for (Consumer<String> handler : messageHandlers) {
        try {
          handler.accept(message);
        } catch (RuntimeException e) {
          // a failing callback must not break the stream it listens beside
          log.warn("a channel message handler failed: {}", e.toString());
        }
      }
      return true;
    }

    @Override
    public void closed(int code, String reason) {
      lock.lock();
      try {
        if (code == 1000) {
          ended = true;
        } else if (failure == null) {
          failure = new IOException("the channel was closed before its end (" + code + (reason.isEmpty() ? "" : " " + reason) + ")");
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void failed(Throwable error) {
      lock.lock();
      try {
        if (!ended && failure == null) {
          failure = error instanceof IOException io ? io : new IOException("the channel connection failed: " + error, error);
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }
}
