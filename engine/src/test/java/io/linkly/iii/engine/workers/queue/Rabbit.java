package io.linkly.iii.engine.workers.queue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.linkly.iii.engine.workers.queue.adapter.QueueSpec;
import io.linkly.iii.engine.workers.queue.adapter.RabbitTopology;
import io.linkly.testing.LocalService;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The local RabbitMQ (127.0.0.1:5672, guest/guest) for adapter tests: required when CI=true,
 * elsewhere a test is skipped with the reason printed. Each test run uses a namespace of its own
 * and deletes what it declared.
 */
final class Rabbit {

  static final String URL = "amqp://guest:guest@127.0.0.1:5672/%2f";

  private final String namespace = "iii-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<String> queues = new ArrayList<>();
  private final List<String> exchanges = new ArrayList<>();

  static void requireBroker(String testName) {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setConnectionTimeout(3_000);
    try {
      factory.setUri(URL);
      try (Connection c = factory.newConnection("iii-test-probe")) {
        return;
      }
    } catch (Exception e) {
      LocalService.unavailable(testName, "RabbitMQ at 127.0.0.1:5672 (guest/guest) is not reachable: " + e);
    }
  }

  String namespace() {
    return namespace;
  }

  RabbitTopology topology() {
    return new RabbitTopology(namespace);
  }

  /** Remembers the objects a queue uses, for {@link #deleteAll}. */
  void uses(String internalQueue, Retry retry, String topic) {
    queues.addAll(topology().queueNames(internalQueue, retry));
    if (topic != null) {
      exchanges.add(topology().topicExchange(topic));
    }
  }

  void usesNamed(String queue, Retry retry) {
    uses(QueueSpec.namedKey(queue), retry, null);
  }

  void deleteAll() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(URL);
    try (Connection c = factory.newConnection("iii-test-cleanup")) {
      for (String q : queues) {
        try (Channel ch = c.createChannel()) {
          ch.queueDelete(q);
        }
      }
      for (String x : exchanges) {
        try (Channel ch = c.createChannel()) {
          ch.exchangeDelete(x);
        }
      }
    }
    queues.clear();
    exchanges.clear();
  }
}
