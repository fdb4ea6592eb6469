package io.linkly.iii.engine.workers.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.channels.ChannelRef;
import io.linkly.iii.engine.channels.DataChannel;
import io.linkly.iii.engine.channels.DataChannels;
import io.linkly.iii.engine.channels.ReaderEnd;
import io.linkly.iii.engine.channels.WriterEnd;
import io.linkly.iii.engine.core.RequestTracing;
import io.linkly.iii.protocol.Json;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One routed request and its two channels (BUILTINS.md §9.3): the engine writes the request's body
 * into {@code request_body} and reads the handler's streamed answer from {@code response}. The
 * answer is whichever comes first (PROTOCOL.md §6.5): the handler's result, written whole, or a
 * binary frame on {@code response}, which starts a streamed answer (text frames before it set
 * status and headers; end of stream ends it). {@code default_timeout} (504) runs until the answer
 * starts, not while it streams. When the exchange ends, both channels go: a handler still
 * writing the answer is cut off, a handler still reading the body gets end of stream.
 *
 * <p>Everything here runs on the connection's event loop: the response channel hands its frames
 * over there (this is its reader end, and {@link #executor} is that loop), and takes no more while
 * the connection is not writable, so a client that does not read pauses the handler's writer. The
 * request body's writer end is told to pause or stop from the handler's side, on other threads,
 * and hands that over to the loop.
 */
final class Exchange implements ReaderEnd {

  /** What the exchange tells its connection. */
  interface Connection {

    /** A whole answer (the handler's result, or an error) to write once the request's body is in. */
    void reply(HttpReply reply, Answer answer);

    /** A streamed answer was written to its end. */
    void streamed(Answer answer);

    /** The body's writer was paused or resumed, or the body's reader went away. */
    void readingChanged();
  }

  private enum Stage { WAITING, STREAMING, DONE }

  /** The request_body writer of an aggregated body, which is offered whole: it never needs pausing. */
  private static final WriterEnd WHOLE_BODY =
      new WriterEnd() {
        @Override
        public void pause() {}

        @Override
        public void resume() {}

        @Override
        public void cutOff(String reason) {}
      };

  private final ChannelHandlerContext ctx;
  private final Connection connection;
  private final ReplyWriter writer;
  private final Answer answer;
  private final DataChannel requestBody;
  private final DataChannel response;
  /** The request_body channel is full: stop reading the connection (set by the channel, read on the loop). */
  private volatile boolean bodyPaused;
  /** Nobody reads the rest of the body any more: it is discarded. */
  private volatile boolean bodyCut;
  private ScheduledFuture<?> timeout;
  private long timeoutMs;
  private Stage stage = Stage.WAITING;
  private int status = 200;
  private List<Map.Entry<String, String>> headers = List.of();
  /** The request's span, ended with the exchange. */
  private RequestTracing.RequestSpan span = RequestTracing.RequestSpan.NONE;

  private Exchange(ChannelHandlerContext ctx, Connection connection, ReplyWriter writer, Answer answer, DataChannels channels) {
    this.ctx = ctx;
    this.connection = connection;
    this.writer = writer;
    this.answer = answer;
    this.requestBody = channels.create(DataChannels.DEFAULT_CAPACITY);
    this.response = channels.create(DataChannels.DEFAULT_CAPACITY);
  }

  /**
   * An exchange whose body is {@code wholeBody} (an aggregated request; it is offered as one frame,
   * then end of stream, and this takes its reference), or streamed through {@link #bodyChunk} when
   * {@code wholeBody} is null.
   */
  static Exchange open(
      ChannelHandlerContext ctx, Connection connection, ReplyWriter writer, Answer answer, DataChannels channels, ByteBuf wholeBody) {
    Exchange exchange = new Exchange(ctx, connection, writer, answer, channels);
    exchange.response.attachReader(exchange);
    if (wholeBody == null) {
      exchange.requestBody.attachWriter(exchange.new BodyWriter());
    } else {
      exchange.requestBody.attachWriter(WHOLE_BODY);
      if (wholeBody.isReadable()) {
        exchange.requestBody.offer(new BinaryWebSocketFrame(wholeBody));
      } else {
        wholeBody.release();
      }
      exchange.requestBody.writerClosed();
    }
    return exchange;
  }

  ChannelRef requestBodyRef() {
    return requestBody.ref(ChannelRef.Direction.READ);
  }

  ChannelRef responseRef() {
    return response.ref(ChannelRef.Direction.WRITE);
  }

  /** Waits for the answer: {@code result} (null for a streamed one) or the response channel, for at most {@code timeoutMs}. */
  void start(CompletableFuture<HttpReply> result, long timeoutMs, RequestTracing.RequestSpan span) {
    this.timeoutMs = timeoutMs;
    this.span = span;
    timeout = ctx.executor().schedule(this::timedOut, timeoutMs, TimeUnit.MILLISECONDS);
    result.whenCompleteAsync(this::resulted, ctx.executor());
  }

  // ------------------------------------------------------------------ the request's body

  /** One chunk of a streamed body (this takes its reference); the last one ends the stream. */
  void bodyChunk(HttpContent chunk) {
    boolean last = chunk instanceof LastHttpContent;
    if (bodyCut || stage == Stage.DONE || !chunk.content().isReadable()) {
      chunk.release();
    } else {
      requestBody.offer(new BinaryWebSocketFrame(chunk.content()));
    }
    if (last) {
      requestBody.writerClosed();
    }
  }

  /** Whether the connection should stop reading because the handler has not taken the body so far. */
  boolean bodyPaused() {
    return bodyPaused && !bodyCut && stage != Stage.DONE;
  }

  /**
   * request_body's writing end: the channel pauses and resumes it, or cuts it off, from any thread.
   * A pause comes while a chunk is offered, on the loop: reading stops at once, not after the rest
   * of this read.
   */
  private final class BodyWriter implements WriterEnd {
    @Override
    public void pause() {
      bodyPaused = true;
      readingChanged();
    }

    @Override
    public void resume() {
      bodyPaused = false;
      readingChanged();
    }

    @Override
    public void cutOff(String reason) {
      bodyCut = true;
      readingChanged();
    }

    private void readingChanged() {
      if (ctx.executor().inEventLoop()) {
        connection.readingChanged();
      } else {
        onLoop(connection::readingChanged); // it reads the flags when it runs: the latest call wins
      }
    }
  }

  // ------------------------------------------------------------------ the answer

  private void resulted(HttpReply reply, Throwable failure) {
    if (stage != Stage.WAITING) {
      return; // the answer is streaming, or was given
    }
    if (failure != null) {
      reply = HttpReply.error(500, "INTERNAL_ERROR", "internal server error", true);
    } else if (reply == null) {
      return; // the handler streams its answer: the response channel decides from here
    }
    finish(reply.status(), failure == null ? null : String.valueOf(failure.getMessage()));
    connection.reply(reply, answer);
  }

  private void timedOut() {
    if (stage == Stage.WAITING) {
      finish(504, "the handler did not answer within " + timeoutMs + " ms");
      connection.reply(HttpErrors.gatewayTimeout(timeoutMs), answer);
    }
  }

  @Override
  public EventExecutor executor() {
    return ctx.executor();
  }

  /** Called on this connection's loop (the channel hands frames over there), as are take, flush and end. */
  @Override
  public boolean canTake() {
    return ctx.channel().isWritable();
  }

  @Override
  public void take(WebSocketFrame frame) {
    if (stage == Stage.DONE) {
      frame.release();
    } else if (frame instanceof TextWebSocketFrame text) {
      if (stage == Stage.WAITING) {
        control(text.text()); // after the head went out they are ignored, as upstream
      }
      frame.release();
    } else if (frame instanceof BinaryWebSocketFrame) {
      if (stage == Stage.WAITING) {
        startStream(false);
      }
      if (frame.content().isReadable()) {
        ctx.write(new DefaultHttpContent(frame.content()), ctx.voidPromise());
      } else {
        frame.release();
      }
    } else {
      frame.release();
    }
  }

  /** Once per batch the channel handed over: every event of a stream goes out at once. */
  @Override
  public void flush() {
    if (stage == Stage.STREAMING) {
      ctx.flush();
    }
  }

  @Override
  public void end() {
    ended();
  }

  /** May come from any thread (the channel given up by the engine stopping). */
  @Override
  public void abort(String reason) {
    onLoop(this::aborted);
  }

  void writabilityChanged() {
    if (stage != Stage.DONE && ctx.channel().isWritable()) {
      response.readerReady();
    }
  }

  private void ended() {
    if (stage == Stage.DONE) {
      return;
    }
    if (stage == Stage.WAITING) {
      startStream(true);
    }
    var written = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    if (!answer.keepAlive()) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
    finish(status, null);
    connection.streamed(answer);
  }

  /** The response channel was given up (the engine stops): a started answer cannot end well. */
  private void aborted() {
    if (stage != Stage.DONE) {
      finish(500, "the engine gave up the response channel");
      ctx.close();
    }
  }

  private void startStream(boolean empty) {
    stage = Stage.STREAMING;
    timeout.cancel(false);
    ctx.write(writer.streamHead(status, headers, answer, empty), ctx.voidPromise());
  }

  /** {@code set_status} (100–599) and {@code set_headers} (string values; a name set again is replaced). */
  private void control(String text) {
    JsonNode message;
    try {
      message = Json.mapper().readTree(text);
    } catch (Exception e) {
      return; // not a control message: ignored, as upstream
    }
    if (message == null || !message.isObject()) {
      return;
    }
    String type = message.path("type").asText("");
    if (type.equals("set_status")) {
      JsonNode code = message.get("status_code");
      if (code != null && code.isIntegralNumber() && code.asLong() >= 100 && code.asLong() <= 599) {
        status = code.intValue();
      }
    } else if (type.equals("set_headers") && message.path("headers").isObject()) {
      List<Map.Entry<String, String>> merged = new ArrayList<>(headers);
      message.get("headers").fields().forEachRemaining(h -> {
        if (h.getValue().isTextual()) {
          merged.removeIf(e -> e.getKey().equalsIgnoreCase(h.getKey()));
          merged.add(Map.entry(h.getKey(), h.getValue().textValue()));
        }
      });
      headers = merged;
    }
  }

  // ------------------------------------------------------------------ the end

  /** The connection closed: whatever is under way stops, and the handler's ends are told. */
  void connectionClosed() {
    if (stage != Stage.DONE) {
      finish(499, "the client closed the connection"); // nginx's code for it: no status went out
    }
  }

  /**
   * The exchange has its answer: both channels go. A handler still writing the answer is cut off;
   * one still reading the body gets its end (channels signal no errors, PROTOCOL.md §7.5), and the
   * connection discards the rest of a body nobody reads any more.
   */
  private void finish(int status, String failure) {
    stage = Stage.DONE;
    RequestTracing.RequestSpan ending = span;
    span = RequestTracing.RequestSpan.NONE;
    ending.end(status, failure);
    if (timeout != null) {
      timeout.cancel(false);
    }
    response.readerClosed();
    requestBody.abandon("the HTTP request is complete");
  }

  /** Runs {@code task} on the connection's event loop, after what was handed over before; false once that loop is gone. */
  private boolean onLoop(Runnable task) {
    try {
      ctx.executor().execute(task);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }
}
