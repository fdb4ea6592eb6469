package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.Message;
import io.linkly.iii.sdk.IiiException;
import io.netty.channel.Channel;

/** What the socket reports to the worker. Every call arrives on the I/O thread. */
interface SocketListener {

  /** The WebSocket handshake finished; the channel is ready for the replay. */
  void onOpen(Channel channel);

  void onMessage(Message message);

  /** The channel is gone (never opened, closed, or timed out). */
  void onClose(Channel channel);

  /** The reconnect policy allows no more attempts; {@code reason} says why the last one failed. */
  void onGaveUp(IiiException reason);

  /** The channel's outbound buffer crossed a water mark. */
  void onWritabilityChanged(Channel channel);
}
