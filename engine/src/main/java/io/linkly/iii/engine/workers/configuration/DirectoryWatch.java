package io.linkly.iii.engine.workers.configuration;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the configuration directory: every create, modify or delete of an entry's file is
 * reported once its file has been quiet for the debounce period (upstream: 500 ms), by id.
 * One platform thread waits on the watch service; {@link #close} stops it.
 */
final class DirectoryWatch implements AutoCloseable {

  static final Duration DEBOUNCE = Duration.ofMillis(500);
  private static final Logger log = LoggerFactory.getLogger(DirectoryWatch.class);

  private final WatchService service;
  private final ScheduledExecutorService timer;
  private final Map<String, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();
  private final Consumer<String> changed;
  private final Thread thread;
  private volatile boolean closed;

  private DirectoryWatch(Path directory, Consumer<String> changed) throws IOException {
    this.changed = changed;
    this.service = FileSystems.getDefault().newWatchService();
    directory.register(
        service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
    this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("iii-config-debounce").factory());
    this.thread = Thread.ofPlatform().daemon().name("iii-config-watch").unstarted(this::run);
  }

  static DirectoryWatch start(Path directory, Consumer<String> changed) throws IOException {
    DirectoryWatch watch = new DirectoryWatch(directory, changed);
    watch.thread.start();
    return watch;
  }

  private void run() {
    while (!closed) {
      WatchKey key;
      try {
        key = service.take();
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
      for (WatchEvent<?> event : key.pollEvents()) {
        if (event.context() instanceof Path file) {
          ConfigurationFiles.idOf(file).ifPresent(this::schedule);
        }
      }
      if (!key.reset()) {
        if (closed) {
          return; // the engine is stopping: closing the watch service invalidated the key
        }
        log.warn("configuration: the directory is no longer watched (removed?); edits are not picked up until restart");
        return;
      }
    }
  }

  private void schedule(String id) {
    if (closed) {
      return;
    }
    try {
      pending.compute(
          id,
          (k, previous) -> {
            if (previous != null) {
              previous.cancel(false);
            }
            return timer.schedule(() -> fire(id), DEBOUNCE.toMillis(), TimeUnit.MILLISECONDS);
          });
    } catch (RejectedExecutionException e) {
      // closed between the check and the schedule (the engine stopping): the edit no longer matters
    }
  }

  private void fire(String id) {
    pending.remove(id);
    try {
      changed.accept(id);
    } catch (RuntimeException e) {
      log.warn("configuration: handling an edit of {}.yaml failed", id, e);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      service.close();
    } catch (IOException e) {
      // closing anyway
    }
    timer.shutdownNow();
  }
}
