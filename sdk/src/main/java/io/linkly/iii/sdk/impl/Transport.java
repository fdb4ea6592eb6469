package io.linkly.iii.sdk.impl;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Native epoll where the platform has it, NIO everywhere else. */
record Transport(IoHandlerFactory ioHandlerFactory, Class<? extends SocketChannel> channelClass) {

  static Transport best() {
    if (epollAvailable()) {
      return new Transport(EpollIoHandler.newFactory(), EpollSocketChannel.class);
    }
    return new Transport(NioIoHandler.newFactory(), NioSocketChannel.class);
  }

  private static boolean epollAvailable() {
    try {
      return Epoll.isAvailable();
    } catch (Throwable t) {
      // the native library is a runtime dependency; without it we simply fall back
      return false;
    }
  }

  /** One I/O thread is plenty for one worker connection; daemon, so it never holds the JVM. */
  EventLoopGroup newGroup() {
    return new MultiThreadIoEventLoopGroup(
        1, new DefaultThreadFactory("iii-sdk-io", true), ioHandlerFactory);
  }
}
