package io.linkly.iii.engine.channels;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The relay itself, with in-memory ends: order, kinds, the bound, end of stream and who is told what. */
class DataChannelTest {

  /** A reader end that takes frames only while {@code open}, recording what it got. */
  static final class Reader implements ReaderEnd {
    final List<String> got = new ArrayList<>();
    boolean open = true;
    boolean ended;
    String aborted;

    @Override
    public EventExecutor executor() {
      return ImmediateEventExecutor.INSTANCE;
    }

    @Override
    public boolean canTake() {
      return open;
    }

    @Override
    public void take(WebSocketFrame frame) {
      String kind = frame instanceof TextWebSocketFrame ? "text:" : "binary:";
      got.add(kind + frame.content().toString(StandardCharsets.UTF_8));
      frame.release();
    }

    @Override
    public void flush() {}

    @Override
    public void end() {
      ended = true;
    }

    @Override
    public void abort(String reason) {
      aborted = reason;
    }
  }

  static final class Writer implements WriterEnd {
    boolean paused;
    String cutOff;

    @Override
    public void pause() {
      paused = true;
    }

    @Override
    public void resume() {
      paused = false;
    }

    @Override
    public void cutOff(String reason) {
      cutOff = reason;
    }
  }

  private final AtomicLong now = new AtomicLong();
  private final DataChannels channels = new DataChannels(now::get, DataChannels.MAX_ENGINE_BUFFERED_BYTES);

  private static WebSocketFrame binary(String text) {
    return new BinaryWebSocketFrame(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  private static WebSocketFrame text(String text) {
    return new TextWebSocketFrame(text);
  }

  @Test
  void framesKeepTheirOrderAndKindAndTheStreamEndsAfterTheLastOne() {
    DataChannel channel = channels.create(8);
    Reader reader = new Reader();
    Writer writer = new Writer();
    assertThat(channel.attachReader(reader)).isTrue();
    assertThat(channel.attachWriter(writer)).isTrue();
    channel.offer(binary("a"));
    channel.offer(text("{\"type\":\"progress\"}"));
    channel.offer(binary("b"));
    channel.writerClosed();
    assertThat(reader.got).containsExactly("binary:a", "text:{\"type\":\"progress\"}", "binary:b");
    assertThat(reader.ended).isTrue();
    assertThat(channels.openCount()).isZero();
  }

  @Test
  void whatTheWriterSentBeforeTheReaderCameWaitsForItEvenAfterTheWriterClosed() {
    DataChannel channel = channels.create(8);
    Writer writer = new Writer();
    channel.attachWriter(writer);
    channel.offer(binary("early"));
    channel.offer(binary("bird"));
    channel.writerClosed();
    assertThat(channels.openCount()).isOne();
    Reader reader = new Reader();
    channel.attachReader(reader);
    assertThat(reader.got).containsExactly("binary:early", "binary:bird");
    assertThat(reader.ended).isTrue();
    assertThat(channels.openCount()).isZero();
  }

  @Test
  void aFullChannelPausesTheWriterUntilTheReaderCatchesUp() {
    DataChannel channel = channels.create(2);
    Writer writer = new Writer();
    Reader reader = new Reader();
    reader.open = false;
    channel.attachWriter(writer);
    channel.attachReader(reader);
    channel.offer(binary("1"));
    assertThat(writer.paused).isFalse();
    channel.offer(binary("2"));
    assertThat(writer.paused).isTrue();
    assertThat(channel.buffered()).isEqualTo(2);
    reader.open = true;
    channel.readerReady();
    assertThat(reader.got).containsExactly("binary:1", "binary:2");
    assertThat(writer.paused).isFalse();
  }

  @Test
  void aWriterThatAttachesToAFullChannelStartsPaused() {
    DataChannel channel = channels.create(1);
    Writer first = new Writer();
    channel.attachWriter(first);
    channel.offer(binary("x"));
    assertThat(first.paused).isTrue();
    assertThat(channel.attachWriter(new Writer())).as("an end attaches once").isFalse();
  }

  @Test
  void bytesBoundTheBufferToo() {
    DataChannel channel = channels.create(1024);
    Writer writer = new Writer();
    channel.attachWriter(writer);
    channel.offer(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[(int) DataChannels.MAX_BUFFERED_BYTES])));
    assertThat(writer.paused).isTrue();
    channel.attachReader(new Reader());
    assertThat(writer.paused).isFalse();
  }

  @Test
  void aReaderThatGoesAwayCutsTheWriterOffAndDropsWhatWaited() {
    DataChannel channel = channels.create(4);
    Writer writer = new Writer();
    Reader reader = new Reader();
    reader.open = false;
    channel.attachWriter(writer);
    channel.attachReader(reader);
    WebSocketFrame waiting = binary("never read");
    channel.offer(waiting);
    channel.readerClosed();
    assertThat(writer.cutOff).isEqualTo("the reader is gone");
    assertThat(waiting.refCnt()).isZero();
    WebSocketFrame late = binary("late");
    channel.offer(late);
    assertThat(late.refCnt()).as("a frame after the end is released, not kept").isZero();
    assertThat(channels.openCount()).isZero();
  }

  @Test
  void aWriterThatComesAfterTheReaderLeftIsCutOffAtOnce() {
    DataChannel channel = channels.create(4);
    channel.attachReader(new Reader());
    channel.readerClosed();
    Writer writer = new Writer();
    channel.attachWriter(writer);
    assertThat(writer.cutOff).isNotNull();
  }

  @Test
  void channelsWhoseEndsDidNotBothAttachInTimeAreSweptAndTheirEndsTold() {
    DataChannel lonely = channels.create(4);
    Reader waiting = new Reader();
    lonely.attachReader(waiting);
    DataChannel busy = channels.create(4);
    busy.attachReader(new Reader());
    busy.attachWriter(new Writer());
    DataChannel unused = channels.create(4);
    WebSocketFrame kept = binary("x");
    unused.attachWriter(new Writer());
    unused.offer(kept);

    now.addAndGet(DataChannels.UNATTACHED_TTL.toNanos() - 1);
    assertThat(channels.sweep()).isZero();
    now.addAndGet(2);
    assertThat(channels.sweep()).isEqualTo(2);
    assertThat(waiting.aborted).contains("expired");
    assertThat(kept.refCnt()).isZero();
    assertThat(channels.find(busy.id(), busy.ref(ChannelRef.Direction.READ).accessKey())).isPresent();
    assertThat(channels.find(lonely.id(), lonely.ref(ChannelRef.Direction.READ).accessKey())).isEmpty();
  }

  @Test
  void manyChannelsTogetherStayWithinTheEnginesBoundAndAnEmptiedOneResumes() {
    DataChannels small = new DataChannels(now::get, 10);
    DataChannel first = small.create(64);
    DataChannel second = small.create(64);
    Writer one = new Writer();
    Writer two = new Writer();
    first.attachWriter(one);
    second.attachWriter(two);
    first.offer(binary("0123456789")); // 10 bytes: the engine's bound is reached
    assertThat(one.paused).as("its own bounds are far, the engine's is reached").isTrue();
    second.offer(binary("x"));
    assertThat(two.paused).isTrue();
    assertThat(small.bufferedBytes()).isEqualTo(11);
    Reader reader = new Reader();
    second.attachReader(reader);
    assertThat(reader.got).containsExactly("binary:x");
    assertThat(two.paused).as("emptied, it never counts as full").isFalse();
    assertThat(one.paused).as("still holding its frame, with no reader").isTrue();
    first.abandon("test over");
    assertThat(small.bufferedBytes()).isZero();
  }

  @Test
  void aWrongKeyFindsNothing() {
    DataChannel channel = channels.create(4);
    assertThat(channels.find(channel.id(), "not-the-key")).isEmpty();
    assertThat(channels.find(channel.id(), channel.ref(ChannelRef.Direction.WRITE).accessKey())).contains(channel);
  }
}
