package io.linkly.iii.engine.workers.queue;

import io.linkly.iii.engine.core.BuiltinFunction;
import io.linkly.iii.engine.core.FunctionDefinition;
import io.linkly.iii.engine.core.Worker;
import io.linkly.iii.engine.workers.BuiltinWorker;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import io.linkly.iii.engine.workers.EngineContext;
import java.util.Map;

/**
 * Test functions registered as a built-in worker, so they exist before {@code iii-queue} starts
 * delivering (list it before {@code iii-queue} in the config).
 */
final class HandlersWorker implements BuiltinWorker {

  static final String NAME = "test-handlers";

  private final Map<String, BuiltinFunction> functions;

  HandlersWorker(Map<String, BuiltinFunction> functions) {
    this.functions = functions;
  }

  static BuiltinWorkers catalogue(Map<String, BuiltinFunction> functions) {
    return BuiltinWorkers.standard().register(NAME, entry -> new HandlersWorker(functions), false);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void start(EngineContext context) {
    Worker self = context.engine().registerBuiltinWorker(NAME);
    functions.forEach((id, f) -> context.engine().registerFunction(self, FunctionDefinition.of(id, "test handler"), f));
  }
}
