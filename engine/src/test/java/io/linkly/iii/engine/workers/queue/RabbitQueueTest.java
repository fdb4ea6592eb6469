package io.linkly.iii.engine.workers.queue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The queue scenarios on the RabbitMQ adapter against the local broker (required when CI=true),
 * each test in a namespace of its own whose queues and exchanges are deleted afterwards.
 */
class RabbitQueueTest extends QueueScenarios {

  private final Rabbit rabbit = new Rabbit();

  @BeforeAll
  static void broker() {
    Rabbit.requireBroker(RabbitQueueTest.class.getSimpleName());
  }

  @Override
  protected ObjectNode adapter() {
    ObjectNode adapter = Json.object().put("name", "rabbitmq");
    adapter.putObject("config").put("amqp_url", Rabbit.URL).put("namespace", rabbit.namespace());
    return adapter;
  }

  @Override
  protected void uses(String internalQueue, Retry retry, String topic) {
    rabbit.uses(internalQueue, retry, topic);
  }

  @AfterEach
  void deleteQueues() throws Exception {
    stopEngine();
    rabbit.deleteAll();
  }
}
