package io.linkly.iii.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap per idle stream subscriber (DESIGN.md §5): the engine runs alone in a child JVM
 * ({@link StreamEngineHost}); this process opens N WebSocket subscribers joined to one group, and
 * the child reports its settled heap before, with them connected, and after they left. Only the
 * engine's heap is counted. Arguments: {@code [subscribers] [child-heap, e.g. 1g]}.
 */
public final class IdleHeapBench {

  private static final Pattern HEAP = Pattern.compile("heap used=(-?\\d+) direct=(-?\\d+) rss=(-?\\d+)");

  record Heap(long used, long direct, long rss) {}

  public static void main(String[] args) throws Exception {
    int subscribers = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    String childHeap = args.length > 1 ? args[1] : "1g";
    System.out.printf("idle stream subscribers, %s, %d cores, JDK %s, %d subscribers, engine in a child JVM (-Xmx%s)%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(), Runtime.version(), subscribers, childHeap);

    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xms" + childHeap);
    command.add("-Xmx" + childHeap);
    command.add("-XX:+UseG1GC");
    String extra = System.getProperty("bench.child.jvm", "").trim();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(StreamEngineHost.class.getName());
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  lines.add(line);
                }
              } catch (java.io.IOException e) {
                // child gone
              }
            });
    reader.setDaemon(true);
    reader.start();
    Writer commands = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8);
    try {
      String first = lines.poll(60, TimeUnit.SECONDS);
      if (first == null || !first.startsWith("stream-port ")) {
        throw new IllegalStateException("engine child did not start: " + first);
      }
      int port = Integer.parseInt(first.substring("stream-port ".length()).trim());

      Heap before = heap(commands, lines);
      Heap connected;
      Heap after;
      int joined;
      long t;
      try (WsSubscribers clients = new WsSubscribers(2, new LatencySink())) {
        t = System.nanoTime();
        joined = clients.connect("127.0.0.1", port, subscribers, "bench", "idle", Duration.ofSeconds(120));
        long connectMillis = (System.nanoTime() - t) / 1_000_000;
        System.out.printf("  %d/%d subscribers joined in %d ms%n", joined, subscribers, connectMillis);
        Thread.sleep(1_000);
        connected = heap(commands, lines);
        System.out.printf("  %d still open, %d closed by the engine while idle%n", clients.open(), clients.unexpectedCloses());
        clients.disconnectAll(Duration.ofSeconds(30));
      }
      Thread.sleep(1_000);
      after = heap(commands, lines);

      System.out.printf("  %-22s %14s %14s %14s%n", "engine JVM", "heap used", "netty direct", "RSS");
      row("before", before);
      row(joined + " connected", connected);
      row("after they left", after);
      double perHeap = (connected.used() - before.used()) / (double) Math.max(1, joined);
      double perDirect = (connected.direct() - before.direct()) / (double) Math.max(1, joined);
      double perRss = (connected.rss() - before.rss()) / (double) Math.max(1, joined);
      System.out.printf("summary: heap per idle subscriber %.0f bytes (%.2f KiB); direct %.0f B, RSS %.0f B each; target <= 16 KiB heap -> %s%n",
          perHeap, perHeap / 1024, perDirect, perRss, joined == subscribers && perHeap <= 16 * 1024 ? "met" : "NOT met");
    } finally {
      try {
        commands.write("quit\n");
        commands.flush();
        commands.close();
      } catch (java.io.IOException e) {
        // already gone
      }
      if (!child.waitFor(10, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    }
  }

  private static void row(String name, Heap h) {
    System.out.printf("  %-22s %11.1f MiB %11.1f MiB %11.1f MiB%n", name, h.used() / 1048576.0, h.direct() / 1048576.0, h.rss() / 1048576.0);
  }

  private static Heap heap(Writer commands, BlockingQueue<String> lines) throws Exception {
    commands.write("heap\n");
    commands.flush();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(1, TimeUnit.SECONDS);
      if (line == null) {
        continue;
      }
      Matcher m = HEAP.matcher(line);
      if (m.find()) {
        return new Heap(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
      }
    }
    throw new IllegalStateException("engine child gave no heap reading");
  }
}
