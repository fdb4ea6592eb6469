package io.linkly.iii.cli.managed;

import io.linkly.iii.cli.project.WorkerManifest;
import io.linkly.iii.engine.config.LocalWorkerEntry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The local workers a project lists ({@code worker_path} entries, written by {@code iii worker add
 * ./DIR}): {@code iii} starts each once the engine listens, with {@code III_URL} (and upstream's
 * {@code III_ENGINE_URL}, {@code III_WORKER_NAME}) pointing it at the engine, and stops all of
 * them, with whatever they started, when it stops.
 */
public final class ManagedWorkers implements AutoCloseable {

  private final List<ManagedWorker> workers;

  private ManagedWorkers(List<ManagedWorker> workers) {
    this.workers = workers;
  }

  /**
   * Reads every entry's manifest (relative paths against {@code projectDir}) and starts them all.
   *
   * @throws IOException naming the entry whose directory or manifest is unusable; nothing is started then
   */
  public static ManagedWorkers start(List<LocalWorkerEntry> entries, Path projectDir, String engineUrl, PrintStream out)
      throws IOException {
    List<ManagedWorker> workers = new ArrayList<>();
    for (LocalWorkerEntry entry : entries) {
      Path dir = projectDir.resolve(entry.workerPath()).normalize();
      WorkerManifest manifest;
      try {
        manifest = WorkerManifest.read(dir);
      } catch (IOException e) {
        throw new IOException(entry.path() + " (" + entry.name() + "): " + e.getMessage(), e);
      }
      Map<String, String> env = new HashMap<>(manifest.env());
      env.put("III_URL", engineUrl);
      env.put("III_ENGINE_URL", engineUrl);
      env.put("III_WORKER_NAME", entry.name());
      env.put("III_JAVA", ProcessHandle.current().info().command().orElse("java"));
      env.put("III_SDK_CLASSPATH", System.getProperty("java.class.path")); // iii's own jar: the engine, the SDK, their libraries
      workers.add(new ManagedWorker(manifest, dir, env, out));
    }
    workers.forEach(ManagedWorker::start);
    return new ManagedWorkers(List.copyOf(workers));
  }

  /** The running worker process of {@code name}, -1 when none runs (for tests). */
  public long pid(String name) {
    return workers.stream().filter(w -> w.name().equals(name)).findFirst().map(ManagedWorker::pid).orElse(-1L);
  }

  @Override
  public void close() {
    workers.parallelStream().forEach(ManagedWorker::stop);
  }
}
