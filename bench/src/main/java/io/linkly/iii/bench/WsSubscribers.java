package io.linkly.iii.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load client for the stream port: many WebSocket subscribers on a few event loops. The
 * upgrade and the frame parsing are written by hand and work directly on the received bytes, so
 * that a delivery costs a length decode, one copy of its payload into a per-loop scratch array and
 * a short scan for the sender's {@code System.nanoTime()} embedded in the item data (see
 * {@link Stamp}); no frame objects, no JSON tree.
 */
final class WsSubscribers implements AutoCloseable {

  private static final byte[] SYNC = "\"type\":\"sync\"".getBytes(StandardCharsets.US_ASCII);
  private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final int MAX_FRAME = 16 * 1024 * 1024;
  private static final int MAX_CONNECTING = 256;

  /** One event loop's copy buffer; handlers on that loop share it. */
  private static final class Scratch {
    byte[] bytes = new byte[4096];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final LatencySink sink;
  private final List<Channel> channels = new ArrayList<>();
  private final AtomicLong unexpectedCloses = new AtomicLong();
  private volatile boolean closing;

  WsSubscribers(int threads, LatencySink sink) {
    this.sink = sink;
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(threads, factory);
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000);
  }

  /** Sockets that closed while the benchmark still wanted them (e.g. the engine cut them off). */
  long unexpectedCloses() {
    return unexpectedCloses.get();
  }

  int open() {
    synchronized (channels) {
      return (int) channels.stream().filter(Channel::isActive).count();
    }
  }

  /**
   * Opens {@code count} sockets to {@code host:port}, each joining {@code stream/group}, at most
   * {@link #MAX_CONNECTING} handshakes at a time. Returns how many got their {@code sync} frame
   * within {@code timeout}.
   */
  int connect(String host, int port, int count, String stream, String group, Duration timeout) throws InterruptedException {
    Loopback.require("ws://" + host + ":" + port);
    long deadline = System.nanoTime() + timeout.toNanos();
    Semaphore connecting = new Semaphore(MAX_CONNECTING);
    AtomicInteger joined = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    int started = 0;
    for (int i = 0; i < count; i++) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !connecting.tryAcquire(left, TimeUnit.NANOSECONDS)) {
        break;
      }
      String join =
          "{\"type\":\"join\",\"data\":{\"subscriptionId\":\"bench-" + i + "\",\"streamName\":\"" + stream
              + "\",\"groupId\":\"" + group + "\"}}";
      Handler handler = new Handler(host + ":" + port, join, joined, failed, connecting);
      ChannelFuture f = bootstrap.clone().handler(handler).connect(host, port);
      started++;
      f.addListener(
          done -> {
            if (done.isSuccess()) {
              synchronized (channels) {
                channels.add(f.channel());
              }
            } else {
              handler.settle(false);
            }
          });
    }
    while (joined.get() + failed.get() < started && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return joined.get();
  }

  /** Closes every socket and waits (bounded) until they are gone. */
  void disconnectAll(Duration timeout) throws InterruptedException {
    closing = true;
    List<Channel> all;
    synchronized (channels) {
      all = List.copyOf(channels);
      channels.clear();
    }
    List<ChannelFuture> futures = new ArrayList<>();
    for (Channel channel : all) {
      futures.add(channel.close());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ChannelFuture f : futures) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      f.await(left, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void close() {
    closing = true;
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static String accept(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + WS_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A client frame: FIN set, masked as RFC 6455 requires of clients. */
  private static ByteBuf maskedFrame(ByteBufAllocator alloc, int opcode, byte[] payload) {
    if (payload.length > 65_535) {
      throw new IllegalArgumentException("control message too long");
    }
    ByteBuf out = alloc.buffer(8 + payload.length);
    out.writeByte(0x80 | opcode);
    if (payload.length < 126) {
      out.writeByte(0x80 | payload.length);
    } else {
      out.writeByte(0x80 | 126);
      out.writeShort(payload.length);
    }
    int mask = ThreadLocalRandom.current().nextInt();
    out.writeInt(mask);
    for (int i = 0; i < payload.length; i++) {
      out.writeByte(payload[i] ^ (mask >>> (8 * (3 - (i & 3)))));
    }
    return out;
  }

  /** Index of {@code needle} in {@code buf[from, to)}, or -1. */
  private static int indexOf(ByteBuf buf, int from, int to, byte[] needle) {
    byte first = needle[0];
    int last = to - needle.length;
    outer:
    for (int i = from; i <= last; i++) {
      if (buf.getByte(i) != first) {
        continue;
      }
      for (int j = 1; j < needle.length; j++) {
        if (buf.getByte(i + j) != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** One subscriber socket: upgrade, join, then count (and time) every frame. */
  private final class Handler extends ByteToMessageDecoder {
    private final String hostPort;
    private final String join;
    private final AtomicInteger joined;
    private final AtomicInteger failed;
    private final Semaphore connecting;
    private final String key;
    private LatencySink.Slot slot;
    private Scratch scratch;
    private boolean upgraded;
    private boolean live;
    private boolean settled;

    Handler(String hostPort, String join, AtomicInteger joined, AtomicInteger failed, Semaphore connecting) {
      this.hostPort = hostPort;
      this.join = join;
      this.joined = joined;
      this.failed = failed;
      this.connecting = connecting;
      byte[] nonce = new byte[16];
      ThreadLocalRandom.current().nextBytes(nonce);
      this.key = Base64.getEncoder().encodeToString(nonce);
    }

    /** Ends this socket's handshake phase exactly once, freeing a connect slot. */
    void settle(boolean ok) {
      if (settled) {
        return;
      }
      settled = true;
      (ok ? joined : failed).incrementAndGet();
      connecting.release();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      slot = sink.slot();
      scratch = SCRATCH.get();
      String request =
          "GET / HTTP/1.1\r\nHost: " + hostPort + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
      ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(request.getBytes(StandardCharsets.US_ASCII)));
      super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      settle(false);
      if (!closing) {
        unexpectedCloses.incrementAndGet();
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (!upgraded && !readUpgrade(ctx, in)) {
        return;
      }
      while (ctx.channel().isActive()) {
        int r = in.readerIndex();
        int avail = in.readableBytes();
        if (avail < 2) {
          return;
        }
        int b0 = in.getUnsignedByte(r);
        int b1 = in.getUnsignedByte(r + 1);
        long length = b1 & 0x7f;
        int header = 2;
        if (length == 126) {
          if (avail < 4) {
            return;
          }
          length = in.getUnsignedShort(r + 2);
          header = 4;
        } else if (length == 127) {
          if (avail < 10) {
            return;
          }
          length = in.getLong(r + 2);
          header = 10;
        }
        if ((b1 & 0x80) != 0 || length < 0 || length > MAX_FRAME) {
          ctx.close(); // servers never mask; and nothing we expect is that large
          in.skipBytes(avail);
          return;
        }
        if (avail < header + length) {
          return;
        }
        int start = r + header;
        int len = (int) length;
        switch (b0 & 0x0f) {
          case 0, 1, 2 -> onMessage(ctx, in, start, start + len);
          case 8 -> ctx.close();
          case 9 -> {
            byte[] ping = new byte[len];
            in.getBytes(start, ping);
            ctx.writeAndFlush(maskedFrame(ctx.alloc(), 0x0a, ping));
          }
          default -> {}
        }
        in.skipBytes(header + len);
      }
    }

    private boolean readUpgrade(ChannelHandlerContext ctx, ByteBuf in) {
      int end = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
      while (end >= 0 && !(end >= in.readerIndex() + 3 && in.getByte(end - 1) == '\r' && in.getByte(end - 2) == '\n')) {
        end = in.indexOf(end + 1, in.writerIndex(), (byte) '\n');
      }
      if (end < 0) {
        if (in.readableBytes() > 16 * 1024) {
          ctx.close();
        }
        return false;
      }
      int headLength = end + 1 - in.readerIndex();
      String head = in.toString(in.readerIndex(), headLength, StandardCharsets.ISO_8859_1);
      in.skipBytes(headLength);
      if (!head.startsWith("HTTP/1.1 101") || !head.contains(accept(key))) {
        ctx.close();
        return false;
      }
      upgraded = true;
      ctx.writeAndFlush(maskedFrame(ctx.alloc(), 0x01, join.getBytes(StandardCharsets.UTF_8)));
      return true;
    }

    private void onMessage(ChannelHandlerContext ctx, ByteBuf in, int from, int to) {
      if (!live) {
        // the first frame after a join is its sync (or an unauthorized reply)
        if (indexOf(in, from, to, SYNC) >= 0) {
          live = true;
          settle(true);
        } else {
          ctx.close();
        }
        return;
      }
      int length = to - from;
      if (scratch.bytes.length < length) {
        scratch.bytes = new byte[Math.max(length, 2 * scratch.bytes.length)];
      }
      in.getBytes(from, scratch.bytes, 0, length);
      long stamp = Stamp.find(scratch.bytes, 0, length);
      if (stamp == Stamp.NONE) {
        slot.deliveredUntimed();
      } else {
        slot.delivered(stamp);
      }
    }
  }
}
