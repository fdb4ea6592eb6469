package io.linkly.iii.engine.workers;

import io.linkly.iii.engine.channels.DataChannels;
import io.linkly.iii.engine.core.Engine;
import io.linkly.iii.engine.net.Transport;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;

/**
 * What a built-in worker gets to work with: the engine core, the shared event loops, an executor
 * of virtual threads for anything that can block, the engine's data channels, and the environment
 * the configuration's placeholders come from.
 */
public record EngineContext(
    Engine engine, Transport transport, ExecutorService blocking, Clock clock, DataChannels channels, Function<String, String> env) {}
