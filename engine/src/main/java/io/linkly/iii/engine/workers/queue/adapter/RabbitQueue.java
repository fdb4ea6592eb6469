package io.linkly.iii.engine.workers.queue.adapter;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import io.linkly.iii.engine.core.LogSafe;
import io.linkly.iii.engine.workers.queue.QueueConfig;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RabbitMQ adapter ({@code adapter: rabbitmq}, AMQP 0-9-1). Same guarantees as the builtin:
 * an enqueue is acknowledged only after the broker confirmed the persistent message into a durable
 * queue; a delivery is acked after its handler succeeded, so a message being handled when the
 * engine dies is redelivered by the broker (at-least-once). Topology: {@link RabbitTopology}.
 *
 * <p>Retries: in a standard queue a failed message is republished, with its attempt count in the
 * {@code x-iii-attempts} header, to the delay queue for its backoff (a TTL queue that dead-letters
 * back into the main queue), and only then acked; after the last retry it is republished to the
 * dead-letter queue with the error. In a fifo queue a failed message is retried in place (held
 * unacked, after the same backoff) so that no later message of its group overtakes it; messages of
 * different groups are handled in parallel up to {@code concurrency} (the prefetch). If the engine
 * dies during such an in-place retry, the broker redelivers the message with the attempt count it
 * was last published with.
 *
 * <p>No AMQP call is made from a thread that may be interrupted: a virtual thread interrupted in a
 * socket write would close the connection. Consumers stop through a signal instead.
 */
public final class RabbitQueue implements QueueBackend {

  private static final Logger log = LoggerFactory.getLogger(RabbitQueue.class);

  static final String H_FUNCTION = "x-iii-function-id";
  static final String H_ATTEMPTS = "x-iii-attempts";
  static final String H_GROUP = "x-iii-group";
  static final String H_TRACEPARENT = "x-iii-traceparent";
  static final String H_BAGGAGE = "x-iii-baggage";
  static final String H_ERROR = "x-iii-error";
  static final String H_FAILED_AT = "x-iii-failed-at";
  private static final long OP_TIMEOUT_MS = 30_000;

  private final QueueConfig.RabbitMq config;
  private final ExecutorService blocking;
  private final Clock clock;
  private final RabbitTopology topology;
  private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
  private final Map<String, QueueSpec> declared = new ConcurrentHashMap<>();
  private final Set<String> exchanges = ConcurrentHashMap.newKeySet();
  private final ReentrantLock setupLock = new ReentrantLock();
  private Connection connection;
  private RabbitPublisher publisher;
  private volatile boolean closed;

  public RabbitQueue(QueueConfig.RabbitMq config, ExecutorService blocking, Clock clock) {
    this.config = config;
    this.blocking = blocking;
    this.clock = clock;
    this.topology = new RabbitTopology(config.namespace());
  }

  /** Connects; fails with a clear message when the broker is not reachable. */
  public void open() throws QueueException {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(config.amqpUrl());
    } catch (Exception e) {
      throw new QueueException("bad amqp_url " + config.safeUrl() + ": " + e.getMessage(), e);
    }
    factory.setConnectionTimeout(5_000);
    factory.setHandshakeTimeout(10_000);
    factory.setRequestedHeartbeat(30);
    factory.setAutomaticRecoveryEnabled(true);
    factory.setTopologyRecoveryEnabled(true);
    factory.setNetworkRecoveryInterval(2_000);
    try {
      connection = factory.newConnection("iii-queue");
      publisher = new RabbitPublisher(connection.createChannel(), config.maxUnconfirmed(), config.confirmTimeoutMs(), blocking);
    } catch (IOException | TimeoutException e) {
      close();
      throw new QueueException(
          "RabbitMQ at " + config.safeUrl() + " is not reachable: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
    log.info("queue adapter rabbitmq connected to {} (namespace {})", config.safeUrl(), config.namespace());
  }

  @Override
  public String type() {
    return "rabbitmq";
  }

  public RabbitTopology topology() {
    return topology;
  }

  // ------------------------------------------------------------------ topology

  private void declare(QueueSpec spec) throws QueueException {
    setupLock.lock();
    try (Channel ch = connection.createChannel()) {
      String main = topology.queue(spec.name());
      for (String name : topology.queueNames(spec.name(), spec.retry())) {
        topology.check(name);
      }
      Map<String, Object> mainArgs = new HashMap<>();
      if (spec.maxPriority() != null) {
        mainArgs.put("x-max-priority", spec.maxPriority());
      }
      ch.queueDeclare(main, true, false, false, mainArgs);
      for (long delay : RabbitTopology.retryDelays(spec.retry())) {
        Map<String, Object> args = new HashMap<>();
        args.put("x-message-ttl", delay);
        args.put("x-dead-letter-exchange", "");
        args.put("x-dead-letter-routing-key", main);
        ch.queueDeclare(topology.retry(spec.name(), delay), true, false, false, args);
      }
      ch.queueDeclare(topology.dlq(spec.name()), true, false, false, null);
      if (spec.topic() != null) {
        String exchange = topology.topicExchange(spec.topic());
        topology.check(exchange);
        ch.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true);
        exchanges.add(exchange);
        ch.queueBind(main, exchange, "");
      }
      declared.put(spec.name(), spec);
    } catch (IOException | TimeoutException e) {
      throw new QueueException("declaring RabbitMQ queue " + topology.queue(spec.name()) + " failed: " + reason(e), e);
    } finally {
      setupLock.unlock();
    }
  }

  private void declareExchange(String topic) throws QueueException {
    String exchange = topology.topicExchange(topic);
    if (exchanges.contains(exchange)) {
      return;
    }
    topology.check(exchange);
    try (Channel ch = connection.createChannel()) {
      ch.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true);
      exchanges.add(exchange);
    } catch (IOException | TimeoutException e) {
      throw new QueueException("declaring RabbitMQ exchange " + exchange + " failed: " + reason(e), e);
    }
  }

  private static String reason(Exception e) {
    Throwable t = e;
    while (t.getCause() != null && (t.getMessage() == null || t instanceof IOException && t.getCause() instanceof com.rabbitmq.client.ShutdownSignalException)) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  // ------------------------------------------------------------------ publishing

  @Override
  public CompletableFuture<Void> enqueue(QueueSpec spec, QueueMessage message) {
    if (closed) {
      return CompletableFuture.failedFuture(new QueueException("the queue adapter is closed"));
    }
    return publisher.publish("", topology.queue(spec.name()), properties(message, message.attempts(), null, 0), message.payload());
  }

  @Override
  public CompletableFuture<Void> publish(String topic, List<QueueSpec> subscribers, QueueMessage message) {
    if (closed) {
      return CompletableFuture.failedFuture(new QueueException("the queue adapter is closed"));
    }
    return publisher.publish(
        topology.topicExchange(topic), "", properties(message, 0, null, 0), message.payload(), () -> declareExchange(topic));
  }

  private static AMQP.BasicProperties properties(QueueMessage m, int attempts, String error, long failedAtMs) {
    Map<String, Object> headers = new HashMap<>();
    headers.put(H_ATTEMPTS, attempts);
    put(headers, H_FUNCTION, m.functionId());
    put(headers, H_GROUP, m.group());
    put(headers, H_TRACEPARENT, m.traceparent());
    put(headers, H_BAGGAGE, m.baggage());
    if (error != null) {
      headers.put(H_ERROR, error);
      headers.put(H_FAILED_AT, failedAtMs);
    }
    return new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .deliveryMode(2)
        .messageId(m.id())
        .timestamp(new Date(m.createdAtMs()))
        .priority(m.priority())
        .headers(headers)
        .build();
  }

  private static void put(Map<String, Object> headers, String key, String value) {
    if (value != null) {
      headers.put(key, value);
    }
  }

  private static QueueMessage message(AMQP.BasicProperties p, byte[] body) {
    Map<String, Object> h = p.getHeaders() == null ? Map.of() : p.getHeaders();
    String id = p.getMessageId() == null ? UUID.randomUUID().toString() : p.getMessageId();
    long created = p.getTimestamp() == null ? 0 : p.getTimestamp().getTime();
    return new QueueMessage(
        id, text(h.get(H_FUNCTION)), body, text(h.get(H_GROUP)), p.getPriority(), text(h.get(H_TRACEPARENT)),
        text(h.get(H_BAGGAGE)), created, (int) number(h.get(H_ATTEMPTS)));
  }

  private static String text(Object value) {
    return value == null ? null : value.toString();
  }

  private static long number(Object value) {
    if (value instanceof Number n) {
      return n.longValue();
    }
    if (value != null) {
      try {
        return Long.parseLong(value.toString());
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  private void await(CompletableFuture<Void> confirm) throws QueueException {
    try {
      confirm.get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QueueException("interrupted while waiting for RabbitMQ");
    } catch (ExecutionException | TimeoutException e) {
      throw new QueueException(Failures.describe(e), e);
    }
  }

  // ------------------------------------------------------------------ consuming

  @Override
  public void consume(QueueSpec spec, MessageHandler handler) throws QueueException {
    if (closed) {
      return;
    }
    declare(spec);
    stopConsuming(spec.name());
    Subscription s = new Subscription(spec, handler);
    try {
      s.start();
    } catch (IOException e) {
      s.stop();
      throw new QueueException("consuming RabbitMQ queue " + topology.queue(spec.name()) + " failed: " + reason(e), e);
    }
    subscriptions.put(spec.name(), s);
  }

  @Override
  public boolean consuming(String queue) {
    return subscriptions.containsKey(queue);
  }

  @Override
  public void stopConsuming(String queue) {
    Subscription s = subscriptions.remove(queue);
    if (s != null) {
      s.stop();
    }
  }

  private record Delivery(long tag, AMQP.BasicProperties properties, byte[] body) {}

  /** One queue's consumer: its own channel, with prefetch = concurrency. */
  private final class Subscription {
    private final QueueSpec spec;
    private final MessageHandler handler;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final ReentrantLock channelLock = new ReentrantLock();
    private final ReentrantLock groupLock = new ReentrantLock();
    private final Map<String, ArrayDeque<Delivery>> groups = new HashMap<>();
    private Channel channel;

    Subscription(QueueSpec spec, MessageHandler handler) {
      this.spec = spec;
      this.handler = handler;
    }

    void start() throws IOException {
      channel = connection.createChannel();
      channel.basicQos(spec.concurrency());
      channel.basicConsume(
          topology.queue(spec.name()),
          false,
          new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
              dispatch(new Delivery(envelope.getDeliveryTag(), properties, body));
            }
          });
    }

    void stop() {
      stopped.complete(null);
      if (channel != null) {
        try {
          channel.close(); // unacked deliveries go back to the queue
        } catch (IOException | TimeoutException | com.rabbitmq.client.AlreadyClosedException e) {
          log.debug("closing consumer channel of {}: {}", spec.name(), LogSafe.escape(e.getMessage()));
        }
      }
    }

    private void dispatch(Delivery d) {
      if (stopped.isDone()) {
        return;
      }
      if (!spec.fifo()) {
        blocking.execute(() -> process(d));
        return;
      }
      String group = text(d.properties().getHeaders() == null ? null : d.properties().getHeaders().get(H_GROUP));
      String key = group == null ? "" : group;
      boolean startLane;
      groupLock.lock();
      try {
        ArrayDeque<Delivery> line = groups.computeIfAbsent(key, k -> new ArrayDeque<>());
        line.addLast(d);
        startLane = line.size() == 1;
      } finally {
        groupLock.unlock();
      }
      if (startLane) {
        blocking.execute(() -> drain(key));
      }
    }

    /** Handles one group's deliveries in order, one at a time. */
    private void drain(String key) {
      while (!stopped.isDone()) {
        Delivery d;
        groupLock.lock();
        try {
          d = groups.get(key).peekFirst();
        } finally {
          groupLock.unlock();
        }
        process(d);
        groupLock.lock();
        try {
          ArrayDeque<Delivery> line = groups.get(key);
          line.pollFirst();
          if (line.isEmpty()) {
            groups.remove(key);
            return;
          }
        } finally {
          groupLock.unlock();
        }
      }
    }

    private void process(Delivery d) {
      QueueMessage m = message(d.properties(), d.body());
      try {
        while (true) {
          String error = attempt(m);
          if (stopped.isDone()) {
            return; // the channel is closed; the broker redelivers
          }
          if (error == null) {
            ack(d);
            return;
          }
          int failed = m.attempts() + 1;
          long now = clock.millis();
          if (spec.retry().exhausted(failed)) {
            log.warn("queue {}: message {} failed {} times and is now a dead letter: {}", LogSafe.escape(spec.displayName()), LogSafe.escape(m.id()), failed, LogSafe.escape(error));
            await(publisher.publish("", topology.dlq(spec.name()), properties(m, failed, error, now), m.payload()));
            ack(d);
            return;
          }
          long delay = spec.retry().delayAfter(failed);
          if (!spec.fifo()) {
            await(publisher.publish("", topology.retry(spec.name(), delay), properties(m, failed, error, now), m.payload()));
            ack(d);
            return;
          }
          if (pause(delay)) {
            return;
          }
          m = m.withAttempts(failed);
        }
      } catch (QueueException e) {
        log.warn("queue {}: could not record the outcome of message {}; it will be delivered again: {}", LogSafe.escape(spec.displayName()), LogSafe.escape(m.id()), LogSafe.escape(e.getMessage()));
        nack(d);
      } catch (RuntimeException e) {
        log.error("queue {}: handling message {} failed", LogSafe.escape(spec.displayName()), LogSafe.escape(m.id()), e);
        nack(d);
      }
    }

    /** One call; the error text, or null on success. Returns early (as a failure) on stop. */
    private String attempt(QueueMessage m) {
      try {
        CompletableFuture<Void> outcome = handler.handle(m);
        CompletableFuture.anyOf(outcome, stopped).get();
        if (!outcome.isDone()) {
          return "stopped";
        }
        outcome.get();
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      } catch (ExecutionException | RuntimeException e) {
        return Failures.describe(e);
      }
    }

    /** Waits out a backoff; true if the consumer stopped meanwhile. */
    private boolean pause(long delayMs) {
      try {
        stopped.get(delayMs, TimeUnit.MILLISECONDS);
        return true;
      } catch (TimeoutException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      } catch (ExecutionException e) {
        return true;
      }
    }

    private void ack(Delivery d) {
      channelLock.lock();
      try {
        channel.basicAck(d.tag(), false);
      } catch (IOException | com.rabbitmq.client.AlreadyClosedException e) {
        log.debug("ack of {} failed (it will be redelivered): {}", d.tag(), LogSafe.escape(e.getMessage()));
      } finally {
        channelLock.unlock();
      }
    }

    private void nack(Delivery d) {
      channelLock.lock();
      try {
        channel.basicNack(d.tag(), false, true);
      } catch (IOException | com.rabbitmq.client.AlreadyClosedException e) {
        log.debug("nack of {} failed: {}", d.tag(), LogSafe.escape(e.getMessage()));
      } finally {
        channelLock.unlock();
      }
    }
  }

  // ------------------------------------------------------------------ inspection and dead letters

  @Override
  public Collection<String> topicQueues(String topic) {
    List<String> out = new ArrayList<>();
    for (QueueSpec spec : declared.values()) {
      if (topic.equals(spec.topic())) {
        out.add(spec.name());
      }
    }
    out.sort(null);
    return out;
  }

  @Override
  public QueueStats stats(String queue) throws QueueException {
    QueueSpec spec = declared.get(queue);
    if (spec == null) {
      return new QueueStats(0, -1, 0);
    }
    try (Channel ch = connection.createChannel()) {
      long depth = ch.queueDeclarePassive(topology.queue(queue)).getMessageCount();
      for (long delay : RabbitTopology.retryDelays(spec.retry())) {
        depth += ch.queueDeclarePassive(topology.retry(queue, delay)).getMessageCount();
      }
      long dead = ch.queueDeclarePassive(topology.dlq(queue)).getMessageCount();
      return new QueueStats(depth, -1, dead);
    } catch (IOException | TimeoutException e) {
      throw new QueueException("reading RabbitMQ queue " + topology.queue(queue) + " failed: " + reason(e), e);
    }
  }

  /**
   * Reads dead letters by fetching them unacked and closing the channel, which puts them back in
   * place. Concurrent readers of the same dead-letter queue see fewer messages meanwhile.
   */
  @Override
  public List<DeadLetter> deadLetters(String queue, int offset, int limit) throws QueueException {
    if (!declared.containsKey(queue)) {
      return List.of();
    }
    List<DeadLetter> out = new ArrayList<>();
    try (Channel ch = connection.createChannel()) {
      String dlq = topology.dlq(queue);
      long count = ch.queueDeclarePassive(dlq).getMessageCount();
      long wanted = Math.min(count, (long) offset + limit);
      for (long i = 0; i < wanted; i++) {
        GetResponse r = ch.basicGet(dlq, false);
        if (r == null) {
          break;
        }
        if (i >= offset) {
          out.add(deadLetter(r));
        }
      }
    } catch (IOException | TimeoutException e) {
      throw new QueueException("reading RabbitMQ dead letters of " + topology.queue(queue) + " failed: " + reason(e), e);
    }
    return out;
  }

  private static DeadLetter deadLetter(GetResponse r) {
    QueueMessage m = message(r.getProps(), r.getBody());
    Map<String, Object> h = r.getProps().getHeaders() == null ? Map.of() : r.getProps().getHeaders();
    return new DeadLetter(m, m.attempts(), text(h.get(H_ERROR)), number(h.get(H_FAILED_AT)));
  }

  @Override
  public long redrive(String queue) throws QueueException {
    return move(queue, null, true);
  }

  @Override
  public boolean redrive(String queue, String messageId) throws QueueException {
    return move(queue, messageId, true) > 0;
  }

  @Override
  public boolean discard(String queue, String messageId) throws QueueException {
    return move(queue, messageId, false) > 0;
  }

  /**
   * Takes dead letters (all, or the one with {@code messageId}) off the dead-letter queue; each is
   * republished to the main queue with a fresh attempt count (when {@code redrive}) and confirmed
   * before it is acked off the dead-letter queue. Bounded by the count at the start, so a message
   * that fails again at once is not redriven twice.
   */
  private long move(String queue, String messageId, boolean redrive) throws QueueException {
    if (!declared.containsKey(queue)) {
      return 0;
    }
    long moved = 0;
    try (Channel ch = connection.createChannel()) {
      String dlq = topology.dlq(queue);
      long count = ch.queueDeclarePassive(dlq).getMessageCount();
      for (long i = 0; i < count; i++) {
        GetResponse r = ch.basicGet(dlq, false);
        if (r == null) {
          break;
        }
        QueueMessage m = message(r.getProps(), r.getBody());
        if (messageId != null && !messageId.equals(m.id())) {
          continue; // stays unacked; closing the channel puts it back
        }
        if (redrive) {
          await(publisher.publish("", topology.queue(queue), properties(m.withAttempts(0), 0, null, 0), m.payload()));
        }
        ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
        moved++;
        if (messageId != null) {
          break;
        }
      }
    } catch (IOException | TimeoutException e) {
      throw new QueueException("moving RabbitMQ dead letters of " + topology.queue(queue) + " failed: " + reason(e), e);
    }
    return moved;
  }

  @Override
  public void close() {
    closed = true;
    subscriptions.values().forEach(Subscription::stop);
    subscriptions.clear();
    if (publisher != null) {
      publisher.close();
    }
    if (connection != null) {
      try {
        connection.close(5_000);
      } catch (IOException | com.rabbitmq.client.AlreadyClosedException e) {
        log.debug("closing the RabbitMQ connection: {}", LogSafe.escape(e.getMessage()));
      }
    }
  }
}
