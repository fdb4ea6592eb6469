package io.linkly.iii.engine.workers;

import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.net.Transport;
import java.time.Clock;
import java.util.concurrent.ExecutorService;

/**
 * What a built-in worker gets to work with: the engine core, the shared event loops, and an
 * executor of virtual threads for anything that can block.
 */
public record EngineContext(Engine engine, Transport transport, ExecutorService blocking, Clock clock) {}
