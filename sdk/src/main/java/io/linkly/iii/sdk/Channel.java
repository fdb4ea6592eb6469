package io.linkly.iii.sdk;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A data channel made by {@link Iii#createChannel}: keep one end, pass the other end's ref inside
 * a payload (PROTOCOL.md §7). The ends connect lazily, the writer on its first write, the reader on
 * its first read, so either may start first.
 *
 * <pre>{@code
 * Channel channel = iii.createChannel();
 * CompletableFuture<JsonNode> report =
 *     iii.triggerAsync(TriggerRequest.of("bulk-importer::import_csv", Map.of("reader", channel.readerRef())));
 * try (OutputStream out = channel.writer()) {
 *   Files.copy(csv, out);
 * }
 * report.join();
 * }</pre>
 *
 * Trigger before writing, or write on another thread: the writer blocks once the channel is full,
 * and only the reader the call starts can empty it.
 */
public record Channel(ChannelWriter writer, ChannelReader reader, ObjectNode writerRef, ObjectNode readerRef) {}
