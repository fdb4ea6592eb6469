package io.linkly.iii.engine.workers.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.net.Listener;
import io.linkly.iii.engine.net.Transport;
import io.linkly.iii.engine.net.WebSockets;
import io.linkly.iii.protocol.Json;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriber WebSocket on port 3112 (PROTOCOL.md §8): {@code join} / {@code leave} in, the
 * wrapper events out. A {@code join} may carry {@code lastSeq} and {@code epoch} (our extension)
 * to resume after a disconnect.
 */
final class StreamSocket implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StreamSocket.class);
  private static final int MAX_CLIENT_FRAME = 64 * 1024;

  /** Reads and group snapshots the socket needs from the worker. */
  interface Groups {
    /**
     * What a joining subscriber is synced with (the item's value or JSON null with an item id,
     * else the group's values), with the sequence number of the last change it reflects.
     */
    CompletableFuture<StreamHub.Snapshot> snapshot(String stream, String group, String itemId);
  }

  /** Snapshots read while the group changes faster than its history can bridge, before giving up. */
  private static final int SYNC_ATTEMPTS = 5;

  private final Listener listener;

  Health health() {
    return listener.health();
  }

  StreamSocket(Transport transport, StreamConfig config, Engine engine, StreamHub hub, StreamTriggers triggers, Groups groups)
      throws BindException {
    listener =
        Listener.bind(
            transport,
            config.host(),
            config.port(),
            ch ->
                ch.pipeline()
                    .addLast("http", new HttpServerCodec())
                    .addLast("http-aggregator", new HttpObjectAggregator(MAX_CLIENT_FRAME))
                    .addLast("router", new Router(config, engine, hub, triggers, groups)));
  }

  int port() {
    return listener.port();
  }

  @Override
  public void close() {
    listener.close();
  }

  /** Accepts the upgrade on {@code /}, after the optional auth function has given a context. */
  private static final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final StreamConfig config;
    private final Engine engine;
    private final StreamHub hub;
    private final StreamTriggers triggers;
    private final Groups groups;

    Router(StreamConfig config, Engine engine, StreamHub hub, StreamTriggers triggers, Groups groups) {
      super(false);
      this.config = config;
      this.engine = engine;
      this.hub = hub;
      this.triggers = triggers;
      this.groups = groups;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      QueryStringDecoder uri = new QueryStringDecoder(request.uri());
      if (!uri.path().equals("/") || !WebSockets.isUpgrade(request)) {
        WebSockets.respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
        request.release();
        return;
      }
      ctx.channel().config().setAutoRead(false);
      authenticate(ctx, request, uri)
          .whenCompleteAsync(
              (context, e) -> {
                try {
                  StreamConnection connection = hub.connection(ctx.channel(), context);
                  if (WebSockets.upgrade(ctx, request, "stream", new Connection(connection, hub, triggers, groups, config.maxSubscriptionsPerConnection()))) {
                    ctx.pipeline().remove(this);
                  }
                } finally {
                  request.release();
                  ctx.channel().config().setAutoRead(true);
                }
              },
              ctx.executor());
    }

    /** Upstream accepts the socket without context when the auth function fails or says nothing. */
    private CompletableFuture<JsonNode> authenticate(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri) {
      if (config.authFunction() == null) {
        return CompletableFuture.completedFuture(null);
      }
      ObjectNode input = Json.object();
      ObjectNode headers = input.putObject("headers");
      request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
      input.put("path", uri.path());
      ObjectNode query = input.putObject("query_params");
      for (Map.Entry<String, List<String>> q : uri.parameters().entrySet()) {
        ArrayNode values = query.putArray(q.getKey());
        q.getValue().forEach(values::add);
      }
      InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
      input.put("addr", remote.getAddress().getHostAddress() + ":" + remote.getPort());
      return engine
          .invoke(Call.of(config.authFunction(), input))
          .handle(
              (result, e) -> {
                if (e != null || result == null || !result.isObject()) {
                  log.debug("stream auth function gave no context ({}); accepting without one", e == null ? result : e.getMessage());
                  return null;
                }
                JsonNode context = result.get("context");
                return context == null || context.isNull() ? null : context;
              });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** One subscriber socket; control messages are handled strictly one after another. */
  private static final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> {
    private final StreamConnection connection;
    private final StreamHub hub;
    private final StreamTriggers triggers;
    private final Groups groups;
    private final int maxSubscriptions;
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private CompletableFuture<Void> tail = DONE;

    Connection(StreamConnection connection, StreamHub hub, StreamTriggers triggers, Groups groups, int maxSubscriptions) {
      this.connection = connection;
      this.hub = hub;
      this.triggers = triggers;
      this.groups = groups;
      this.maxSubscriptions = maxSubscriptions;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
      switch (frame) {
        case TextWebSocketFrame t -> onMessage(ctx, t);
        case BinaryWebSocketFrame b -> onMessage(ctx, b);
        case PingWebSocketFrame ping -> ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
        case CloseWebSocketFrame close -> ctx.writeAndFlush(close.retainedDuplicate()).addListener(f -> ctx.close());
        default -> {}
      }
    }

    private void onMessage(ChannelHandlerContext ctx, WebSocketFrame frame) {
      JsonNode message;
      try {
        message = Json.mapper().readTree(new ByteBufInputStream(frame.content()));
      } catch (java.io.IOException e) {
        return; // malformed frames are ignored, as upstream does
      }
      Request request = Request.parse(message);
      if (request == null) {
        return;
      }
      tail =
          tail.thenCompose(v -> request.join() ? join(ctx, request) : leave(ctx, request))
              .exceptionally(
                  e -> {
                    log.warn("stream {} of {}/{} failed", request.join() ? "join" : "leave", LogSafe.escape(request.stream()), LogSafe.escape(request.group()), e);
                    return null; // the socket's later messages are still handled
                  });
    }

    private CompletableFuture<Void> join(ChannelHandlerContext ctx, Request r) {
      return triggers
          .authorizeJoin(r.triggerPayload(connection.context()))
          .thenComposeAsync(
              allowed -> {
                if (!connection.isOpen()) {
                  return DONE;
                }
                if (!allowed) {
                  connection.writeNow(
                      StreamEvent.control(r.stream(), r.group(), r.itemId(), "unauthorized", null, System.currentTimeMillis(), -1, null));
                  return DONE;
                }
                if (!connection.subscriptions.containsKey(r.subscriptionId()) && connection.subscriptions.size() >= maxSubscriptions) {
                  // each subscription costs the engine memory and fan-out work: one socket gets a bounded share
                  ObjectNode error = Json.object();
                  error.put("code", "too_many_subscriptions");
                  error.put("message", "this connection already has " + maxSubscriptions + " subscriptions; leave one first");
                  connection.writeNow(
                      StreamEvent.control(r.stream(), r.group(), r.itemId(), "error", error, System.currentTimeMillis(), -1, null));
                  return DONE;
                }
                Subscriber template = new Subscriber(connection, r.subscriptionId(), r.stream(), r.group(), r.itemId(), 0);
                if (r.lastSeq() != null) {
                  StreamHub.Start resumed = hub.resume(template, r.lastSeq(), r.epoch());
                  if (resumed != null) {
                    send(r, resumed);
                    return DONE;
                  }
                }
                return sync(ctx, r, template, 1);
              },
              ctx.executor());
    }

    /**
     * Sends a snapshot and subscribes as of it. A snapshot may be read elsewhere (a shared store
     * reads it from Redis); the subscription is added on the socket's loop afterwards, and the
     * changes published in between come from the group's history.
     */
    private CompletableFuture<Void> sync(ChannelHandlerContext ctx, Request r, Subscriber template, int attempt) {
      return groups
          .snapshot(r.stream(), r.group(), r.itemId())
          .handleAsync(
              (snapshot, failure) -> {
                if (!connection.isOpen()) {
                  return DONE;
                }
                if (failure != null) {
                  String reason = "could not read stream " + r.stream() + "/" + r.group() + "; rejoin to retry";
                  log.warn("{}: {}", LogSafe.escape(reason), LogSafe.escape(InvocationException.bodyOf(failure).message()));
                  connection.close(1011, reason);
                  return DONE;
                }
                StreamHub.Start start = hub.attach(template, snapshot, r.lastSeq() != null);
                if (start != null) {
                  send(r, start);
                  return DONE;
                }
                if (attempt >= SYNC_ATTEMPTS) {
                  connection.cutOff("engine overloaded; rejoin");
                  return DONE;
                }
                return sync(ctx, r, template, attempt + 1);
              },
              ctx.executor())
          .thenCompose(next -> next);
    }

    private void send(Request r, StreamHub.Start start) {
      if (!start.resumed()) {
        connection.writeNow(
            StreamEvent.control(r.stream(), r.group(), r.itemId(), start.resync() ? "resync" : "sync", start.snapshot(),
                System.currentTimeMillis(), start.seq(), hub.epoch()));
      }
      for (StreamEvent missed : start.missed()) {
        connection.offer(missed.wire());
      }
      connection.flushIfNeeded();
    }

    private CompletableFuture<Void> leave(ChannelHandlerContext ctx, Request r) {
      return CompletableFuture.runAsync(
          () -> {
            Subscriber sub = connection.subscriptions.get(r.subscriptionId());
            if (sub != null) {
              hub.detach(sub);
            }
            triggers.left(r.triggerPayload(connection.context()));
          },
          ctx.executor());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      for (Subscriber sub : List.copyOf(connection.subscriptions.values())) {
        hub.detach(sub);
        triggers.left(new Request(false, sub.subscriptionId, sub.stream, sub.group, sub.itemId, null, null)
            .triggerPayload(connection.context()));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** A {@code join} or {@code leave} message's {@code data}. */
  private record Request(
      boolean join, String subscriptionId, String stream, String group, String itemId, Long lastSeq, String epoch) {

    static Request parse(JsonNode message) {
      String type = message.path("type").asText("");
      JsonNode data = message.path("data");
      if (!(type.equals("join") || type.equals("leave")) || !data.isObject()) {
        return null;
      }
      String subscription = text(data, "subscriptionId");
      String stream = text(data, "streamName");
      String group = text(data, "groupId");
      if (subscription == null || stream == null || group == null) {
        return null;
      }
      JsonNode lastSeq = data.get("lastSeq");
      return new Request(
          type.equals("join"),
          subscription,
          stream,
          group,
          text(data, "id"),
          lastSeq != null && lastSeq.canConvertToLong() && lastSeq.isIntegralNumber() ? lastSeq.longValue() : null,
          text(data, "epoch"));
    }

    private static String text(JsonNode data, String field) {
      JsonNode value = data.get(field);
      return value != null && value.isTextual() ? value.textValue() : null;
    }

    ObjectNode triggerPayload(JsonNode context) {
      ObjectNode payload = Json.object();
      payload.put("subscription_id", subscriptionId);
      payload.put("stream_name", stream);
      payload.put("group_id", group);
      payload.put("id", itemId);
      payload.set("context", context == null ? Json.mapper().nullNode() : context);
      return payload;
    }
  }
}
