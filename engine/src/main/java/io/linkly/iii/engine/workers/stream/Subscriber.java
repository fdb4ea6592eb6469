package io.linkly.iii.engine.workers.stream;

/**
 * One joined subscription: which group (and optionally which item) it follows, and the last
 * sequence number it has been given, so that nothing older is sent twice.
 */
final class Subscriber {

  final StreamConnection connection;
  final String subscriptionId;
  final String stream;
  final String group;
  final String itemId;
  final long afterSeq;

  Subscriber(StreamConnection connection, String subscriptionId, String stream, String group, String itemId, long afterSeq) {
    this.connection = connection;
    this.subscriptionId = subscriptionId;
    this.stream = stream;
    this.group = group;
    this.itemId = itemId;
    this.afterSeq = afterSeq;
  }

  boolean wants(StreamEvent event) {
    return event.seq() > afterSeq && (itemId == null || itemId.equals(event.itemId()));
  }
}
