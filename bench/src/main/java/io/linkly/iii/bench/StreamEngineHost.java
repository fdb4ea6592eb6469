package io.linkly.iii.bench;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.workers.stream.StreamWorker;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An engine alone in its JVM, for measuring what the engine itself holds (the load client runs in
 * another process). Prints {@code stream-port <port>}, then answers stdin commands:
 * {@code heap} → settles the heap with several full GCs and prints
 * {@code heap used=<bytes> direct=<bytes> rss=<bytes>}; {@code quit} (or end of input) stops it.
 * Gives up by itself after ten minutes.
 */
public final class StreamEngineHost {

  private static final long MAX_LIFETIME_MILLIS = 10 * 60 * 1000;

  public static void main(String[] args) throws Exception {
    Thread reaper =
        new Thread(
            () -> {
              try {
                Thread.sleep(MAX_LIFETIME_MILLIS);
              } catch (InterruptedException e) {
                return;
              }
              System.err.println("stream-engine-host: lifetime exceeded, exiting");
              System.exit(3);
            });
    reaper.setDaemon(true);
    reaper.start();
    try (IiiEngine engine = IiiEngine.start(EngineConfig.ephemeral())) {
      System.out.println("stream-port " + engine.port(StreamWorker.NAME).orElseThrow());
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
        if (line.trim().equals("heap")) {
          System.out.println(heap());
          System.out.flush();
        }
      }
    }
    System.exit(0);
  }

  /** Used heap after the heap has settled: full GCs until two readings agree within 64 KiB. */
  private static String heap() throws InterruptedException {
    long previous = Long.MAX_VALUE;
    long used = 0;
    for (int i = 0; i < 8; i++) {
      System.gc();
      Thread.sleep(150);
      used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (i >= 2 && Math.abs(previous - used) < 64 * 1024) {
        break;
      }
      previous = used;
    }
    long direct =
        ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p ? p.metric().usedDirectMemory() : -1;
    return "heap used=" + used + " direct=" + direct + " rss=" + rss();
  }

  private static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }
}
