package io.linkly.iii.sdk;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import io.linkly.iii.sdk.impl.ChannelSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.function.Supplier;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write end of a data channel as an {@link OutputStream}: bytes go out as binary frames of up
 * to 64 KiB, {@link #sendMessage} sends a text frame, {@link #close} ends the stream (the reader
 * sees end of stream once it has read everything). It connects on the first frame. Writes block
 * while the channel is full, so a producer runs at its reader's pace; a reader that goes away
 * fails the next write with an {@link IOException} instead of letting bytes vanish.
 *
 * <p>Serialised to JSON (a payload, a result) it is its ref, so it can be passed on as it is.
 */
public final class ChannelWriter extends OutputStream {

  /** Frame size of the byte stream, as upstream's SDKs chunk it. */
  public static final int FRAME_BYTES = 64 * 1024;

  /** Where this end connects; worked out on first use, as most ends handed to a handler never are. */
  private final Supplier<URI> uri;
  private final ObjectNode ref;
  private final ReentrantLock lock = new ReentrantLock();
  /** Bytes written and not sent yet; made on the first write, as most writers (an HTTP handler's response end) never write. */
  private byte[] pending;
  private int pendingLength;
  private ChannelSocket socket;
  private volatile IOException failure;
  private boolean closed;

  public ChannelWriter(Supplier<URI> uri, ObjectNode ref) {
    this.uri = uri;
    this.ref = ref;
  }

  /** The ref of this end ({@code channel_id}, {@code access_key}, {@code direction: "write"}). */
  @JsonValue
  public ObjectNode ref() {
    return ref;
  }

  /**
   * The live end a handler was given for a ref in its input, e.g. {@code
   * ChannelWriter.from(data.get("writer"))}.
   *
   * @throws IiiException ({@code INVALID_CHANNEL}) when {@code node} is not a write channel ref
   */
  public static ChannelWriter from(JsonNode node) {
    if (node instanceof POJONode pojo && pojo.getPojo() instanceof ChannelWriter end) {
      return end;
    }
    throw new IiiException("INVALID_CHANNEL", "expected a channel ref with direction \"write\"");
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    lock.lock();
    try {
      ensureOpen();
      if (pending == null) {
        pending = new byte[FRAME_BYTES];
      }
      while (length > 0) {
        int n = Math.min(length, FRAME_BYTES - pendingLength);
        System.arraycopy(bytes, offset, pending, pendingLength, n);
        pendingLength += n;
        offset += n;
        length -= n;
        if (pendingLength == FRAME_BYTES) {
          sendPending();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Sends what is buffered as a (short) frame now. */
  @Override
  public void flush() throws IOException {
    lock.lock();
    try {
      ensureOpen();
      sendPending();
    } finally {
      lock.unlock();
    }
  }

  /** Sends a text message; bytes written before it go first. */
  public void sendMessage(String message) throws IOException {
    lock.lock();
    try {
      ensureOpen();
      sendPending();
      connected().sendText(message);
    } finally {
      lock.unlock();
    }
  }

  /** Sends what is buffered and ends the stream. A writer that never wrote still ends it (empty). */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      ensureOpen();
      sendPending();
      closed = true;
      connected().close(1000, "stream_complete");
    } finally {
      closed = true;
      lock.unlock();
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("the channel writer is closed");
    }
    if (failure != null) {
      throw new IOException(failure.getMessage(), failure); // a fresh one per call: callers may add one to another
    }
  }

  private void sendPending() throws IOException {
    if (pendingLength == 0) {
      return;
    }
    // a fresh array per frame: cheap next to the send, and nothing to reason about as to when
    // the JDK client lets go of the bytes it was given
    ByteBuffer frame = ByteBuffer.wrap(Arrays.copyOf(pending, pendingLength));
    pendingLength = 0;
    try {
      connected().sendBinary(frame);
    } catch (IOException e) {
      // the reason, when the engine's Close arrived first; else what the socket said
      IOException reason = failure;
      throw reason != null ? new IOException(reason.getMessage(), reason) : broken(e);
    }
  }

  private ChannelSocket connected() throws IOException {
    if (socket == null) {
      socket = ChannelSocket.connect(uri.get(), new Events());
    }
    return socket;
  }

  /** A writer receives nothing but the engine's Close: the reader went away or the channel expired. */
  private final class Events implements ChannelSocket.Events {
    @Override
    public boolean binary(ByteBuffer frame) {
      return true;
    }

    @Override
    public boolean text(String message) {
      return true;
    }

    @Override
    public void closed(int code, String reason) {
      if (failure == null) {
        failure = new IOException("the channel was closed by the engine" + (reason.isEmpty() ? "" : ": " + reason));
      }
    }

    @Override
    public void failed(Throwable error) {
      if (failure == null) {
        // a reader that goes away makes the engine close the channel; a write in flight then often
        // meets the reset before the Close frame, and the writer should hear the same either way
        failure = broken(error);
      }
    }
  }

  private static IOException broken(Throwable cause) {
    return new IOException("the channel was closed by the engine or its connection broke (" + cause.getMessage() + ")", cause);
  }
}
