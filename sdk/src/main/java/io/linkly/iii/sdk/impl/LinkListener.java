package io.linkly.iii.sdk.impl;

import io.linkly.iii.protocol.Message;
import io.linkly.iii.sdk.IiiException;
import java.util.List;

/** What a {@link Link} reports to the worker. */
interface LinkListener {

  /** What every new connection starts with: reattach, then every registration. */
  List<Message> replay();

  /** Sent once the calls that waited for the connection are out: the worker's self-description. */
  Message announcement();

  /** A message from the engine. Runs on the link's delivery thread: must not block. */
  void onMessage(Message message);

  /** An open connection was lost; the link reconnects by itself unless stopped. */
  void onDisconnected();

  /**
   * The link stopped trying to connect (its reconnect policy allows no more attempts): nothing
   * sent from now on can arrive. {@code reason} says why the last attempt failed.
   */
  void onGaveUp(IiiException reason);
}
