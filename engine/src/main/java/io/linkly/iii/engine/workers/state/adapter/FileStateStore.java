package io.linkly.iii.engine.workers.state.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.engine.core.TraceContext;
import io.linkly.iii.engine.core.Health;
import io.linkly.iii.engine.core.LoopThreads;
import io.linkly.iii.engine.updates.UpdateOp;
import io.linkly.iii.engine.updates.UpdateOps;
import io.linkly.iii.engine.updates.UpdateOutcome;
import io.linkly.iii.engine.workers.FileChannels;
import io.linkly.iii.engine.workers.WriteOutage;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kv} with {@code store_method: file_based}: durable. Every write is appended to a journal
 * and forced to disk before it is acknowledged; concurrent writes share one force (group commit).
 * Now and then the journal is compacted into a snapshot. A restart replays snapshot + journals, so
 * it keeps every acknowledged write; damage is reported and stops the start, never papered over.
 *
 * <p>Files in the directory: {@code snapshot-<gen>.snap} holds everything written to journals
 * numbered below {@code gen}; {@code journal-<gen>.log} the writes after. Compaction starts journal
 * {@code gen+1}, then writes {@code snapshot-<gen+1>} from a copy of memory taken at the switch, then
 * deletes what the snapshot covers. A crash at any step leaves a readable set of files.
 *
 * <p>Threads: writers (virtual threads) hold their key's lock from read to acknowledgement, so a
 * read-modify-write of one key is atomic, and hand an encoded record to the single journal thread.
 * That thread writes a batch, forces it, applies it to memory in journal order, then releases the
 * writers. Readers therefore only ever see durable values.
 */
public final class FileStateStore implements StateStore {

  private static final Logger log = LoggerFactory.getLogger(FileStateStore.class);
  private static final Pattern SNAPSHOT = Pattern.compile("snapshot-(\\d{1,19})\\.snap");
  private static final Pattern JOURNAL = Pattern.compile("journal-(\\d{1,19})\\.log");
  private static final int STRIPES = 256;
  private static final long COMPACTION_RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long CLOSE_WAIT_SECONDS = 30;

  /**
   * Tuning. A journal is compacted once it holds {@code compactionMinBytes} or as many bytes as the
   * last snapshot, whichever is more (so compaction costs a constant per byte written); the check
   * also runs every {@code checkIntervalMs} while idle.
   */
  public record Options(long compactionMinBytes, long checkIntervalMs, int maxBatch, int queueCapacity, FileChannels channels) {

    public static Options defaults(long checkIntervalMs) {
      return new Options(16L * 1024 * 1024, checkIntervalMs, 1024, 4096, FileChannels.DEFAULT);
    }

    public Options withCompactionMinBytes(long bytes) {
      return new Options(bytes, checkIntervalMs, maxBatch, queueCapacity, channels);
    }

    public Options withChannels(FileChannels channels) {
      return new Options(compactionMinBytes, checkIntervalMs, maxBatch, queueCapacity, channels);
    }
  }

  /**
   * Sees every durable write in journal order, on the journal thread, and must run {@code apply}
   * (which makes the write visible to readers) exactly once. The stream worker uses it to publish
   * changes in the order they reached the disk, atomically with their visibility.
   */
  @FunctionalInterface
  public interface CommitHook {
    /**
     * {@code value} is null for a removal; {@code previous} null when the key did not exist;
     * {@code origin} is the trace context the writer passed (null: none).
     */
    void commit(String scope, String key, JsonNode previous, JsonNode value, TraceContext origin, Runnable apply);

    CommitHook APPLY = (scope, key, previous, value, origin, apply) -> apply.run();
  }

  private record Pending(JournalRecord record, TraceContext origin, CompletableFuture<Void> done) {}

  private static final Pending STOP = new Pending(null, null, null);

  private final Path dir;
  private final Options options;
  private final Executor executor;
  private final CommitHook hook;
  private final StateTable table = new StateTable();
  private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
  private final BlockingQueue<Pending> queue;
  private final CompletableFuture<Void> committerDone = new CompletableFuture<>();
  private final FileChannel lockChannel;
  private final FileLock lock;

  private volatile boolean closed;
  private final WriteOutage outage = new WriteOutage();
  private volatile CompletableFuture<Void> compaction = CompletableFuture.completedFuture(null);

  // owned by the journal thread after start
  private Journal journal;
  private long generation;
  private long journalBytes;
  private volatile long lastSnapshotBytes;
  private long nextCompactionAttempt = Long.MIN_VALUE;

  private FileStateStore(
      Path dir, Options options, Executor executor, CommitHook hook, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.options = options;
    this.executor = executor;
    this.hook = hook;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  /** Recovers the store in {@code dir} (created if missing) and starts its journal thread; {@code executor} writes its snapshots. */
  public static FileStateStore open(Path dir, Options options, Executor executor) throws StateStoreException {
    return open(dir, options, executor, CommitHook.APPLY);
  }

  /** As {@link #open(Path, Options, Executor)}, with every durable write passed through {@code hook}. */
  public static FileStateStore open(Path dir, Options options, Executor executor, CommitHook hook)
      throws StateStoreException {
    FileChannel lockChannel = null;
    FileLock lock = null;
    try {
      Files.createDirectories(dir);
      lockChannel = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new StateStoreException("state directory " + dir + " is in use by another engine");
      }
      FileStateStore store = new FileStateStore(dir, options, executor, hook, lockChannel, lock);
      try {
        store.recover();
        LoopThreads.start("iii-state-journal " + dir.getFileName(), store::runJournal);
      } catch (IOException | StateStoreException | RuntimeException e) {
        closeQuietly(store.journal);
        throw e;
      }
      return store;
    } catch (IOException e) {
      release(lockChannel, lock);
      throw new StateStoreException("state directory " + dir + " cannot be opened: " + e.getMessage(), e);
    } catch (StateStoreException | RuntimeException e) {
      release(lockChannel, lock);
      throw e;
    }
  }

  // ------------------------------------------------------------------ reads (memory only)

  @Override
  public JsonNode get(String scope, String key) {
    return table.get(scope, key);
  }

  @Override
  public List<JsonNode> list(String scope) {
    return table.values(scope);
  }

  @Override
  public List<String> listGroups() {
    return table.scopeNames();
  }

  /**
   * Keeps the newest {@code keep} keys of {@code scope} (insertion order) and drops the others from
   * memory only, writing nothing: for data whose owner applies the same rule again at every
   * recovery (a stream's retention window), so the removal needs no journal record and no fsync of
   * its own. A key written again later is simply present again.
   */
  public void evictOldest(String scope, int keep) {
    table.removeOldest(scope, keep);
  }

  // ------------------------------------------------------------------ writes

  @Override
  public SetResult set(String scope, String key, JsonNode value) throws StateStoreException {
    return set(scope, key, value, null);
  }

  /** As {@link #set(String, String, JsonNode)}; the commit hook gets {@code origin}. */
  public SetResult set(String scope, String key, JsonNode value, TraceContext origin) throws StateStoreException {
    JournalRecord record = JournalRecord.put(scope, key, value);
    ReentrantLock keyLock = stripe(scope, key);
    keyLock.lock();
    try {
      JsonNode previous = table.get(scope, key);
      commit(record, origin);
      return new SetResult(previous, value);
    } finally {
      keyLock.unlock();
    }
  }

  @Override
  public UpdateResult update(String scope, String key, List<UpdateOp> ops) throws StateStoreException {
    return update(scope, key, ops, null);
  }

  /** As {@link #update(String, String, List)}; the commit hook gets {@code origin}. */
  public UpdateResult update(String scope, String key, List<UpdateOp> ops, TraceContext origin) throws StateStoreException {
    ReentrantLock keyLock = stripe(scope, key);
    keyLock.lock();
    try {
      JsonNode previous = table.get(scope, key);
      UpdateOutcome outcome = UpdateOps.apply(previous, ops);
      commit(JournalRecord.put(scope, key, outcome.newValue()), origin);
      return new UpdateResult(previous, outcome.newValue(), outcome.errors());
    } finally {
      keyLock.unlock();
    }
  }

  @Override
  public JsonNode delete(String scope, String key) throws StateStoreException {
    return delete(scope, key, null);
  }

  /** As {@link #delete(String, String)}; the commit hook gets {@code origin}. */
  public JsonNode delete(String scope, String key, TraceContext origin) throws StateStoreException {
    ReentrantLock keyLock = stripe(scope, key);
    keyLock.lock();
    try {
      JsonNode previous = table.get(scope, key);
      if (previous != null) {
        commit(JournalRecord.remove(scope, key), origin);
      }
      return previous;
    } finally {
      keyLock.unlock();
    }
  }

  @Override
  public boolean writesBlock() {
    return true;
  }

  private ReentrantLock stripe(String scope, String key) {
    int h = scope.hashCode() * 31 + key.hashCode();
    h ^= h >>> 16;
    return stripes[h & (STRIPES - 1)];
  }

  /**
   * Hands the record to the journal thread and waits until it is on disk and in memory. The wait
   * ignores interrupts while the journal thread lives: giving up early would release the key's lock
   * with the record still queued, and the next writer of the key would read a stale value.
   */
  private void commit(JournalRecord record, TraceContext origin) throws StateStoreException {
    ensureWritable();
    Pending pending = new Pending(record, origin, new CompletableFuture<>());
    boolean interrupted = false;
    try {
      while (true) {
        try {
          if (queue.offer(pending, 100, TimeUnit.MILLISECONDS)) {
            break;
          }
          ensureWritable();
        } catch (InterruptedException e) {
          interrupted = true;
          throw new StateStoreException("interrupted before the write was queued; nothing was written");
        }
      }
      if (committerDone.isDone()) {
        // the journal thread ended after we looked, and its last sweep may have missed this record
        pending.done().completeExceptionally(new StateStoreException("state store is closed"));
      }
      while (true) {
        try {
          // untimed: the journal thread completes every record it takes, and refuses what is left
          // when it ends (a timed wait on a virtual thread costs two delay-scheduler wake-ups)
          pending.done().get();
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof StateStoreException s) {
            throw s;
          }
          throw new StateStoreException(String.valueOf(e.getCause().getMessage()), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void ensureWritable() throws StateStoreException {
    if (closed) {
      throw new StateStoreException("state store is closed");
    }
    String failed = outage.refusal();
    if (failed != null) {
      throw new StateStoreException("a disk write failed (" + failed + "); the store tries again every second");
    }
  }

  @Override
  public Health health() {
    return outage.health();
  }

  // ------------------------------------------------------------------ the journal thread

  private void runJournal() {
    List<Pending> batch = new ArrayList<>(options.maxBatch());
    try {
      boolean stopping = false;
      while (!stopping) {
        Pending first = queue.poll(options.checkIntervalMs(), TimeUnit.MILLISECONDS);
        if (first == null) {
          maybeCompact();
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, options.maxBatch() - 1);
        int stop = batch.indexOf(STOP);
        if (stop >= 0) {
          stopping = true;
          // writes that raced past close() are refused, not silently kept waiting
          for (Pending late : batch.subList(stop + 1, batch.size())) {
            late.done().completeExceptionally(new StateStoreException("state store is closed"));
          }
          batch.subList(stop, batch.size()).clear();
        }
        if (!batch.isEmpty()) {
          writeBatch(batch);
        }
        batch.clear();
        if (!stopping) {
          maybeCompact();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      outage.forGood("journal thread failed: " + e);
      log.error("state store {}: journal thread failed; no more writes are accepted", dir, e);
    } finally {
      for (Pending p : batch) {
        p.done().completeExceptionally(new StateStoreException("state store is closed"));
      }
      committerDone.complete(null);
      refuseQueued(); // whatever was queued behind the end would wait forever
    }
  }

  private void refuseQueued() {
    for (Pending late; (late = queue.poll()) != null; ) {
      if (late != STOP) {
        late.done().completeExceptionally(new StateStoreException("state store is closed"));
      }
    }
  }

  /**
   * Writes and forces one batch, then makes it visible. A batch the disk refuses is rolled back
   * (its writers are told it failed, and it never comes back at recovery); the store then refuses
   * writes for a second and tries again ({@link WriteOutage}), so it heals once the disk is back.
   */
  private void writeBatch(List<Pending> batch) {
    long before = journal.size();
    long bytes;
    try {
      List<JournalRecord> records = new ArrayList<>(batch.size());
      for (Pending p : batch) {
        records.add(p.record());
      }
      bytes = journal.append(records);
      journal.force();
    } catch (IOException e) {
      journal.rollBack(before);
      String why = String.valueOf(e.getMessage());
      if (outage.failed(why)) {
        log.error("state journal {}: write failed; writes are refused, and the disk is tried again every second", journal.file(), e);
      }
      StateStoreException error = new StateStoreException("a disk write failed (" + why + "); nothing of this write was kept");
      for (Pending p : batch) {
        p.done().completeExceptionally(error);
      }
      return;
    }
    journalBytes += bytes;
    if (outage.succeeded()) {
      log.warn("state journal {}: writes succeed again", journal.file());
    }
    for (Pending p : batch) {
      JournalRecord r = p.record();
      hook.commit(r.scope(), r.key(), table.get(r.scope(), r.key()), r.value(), p.origin(), () -> r.applyTo(table));
    }
    for (Pending p : batch) {
      p.done().complete(null);
    }
  }

  /**
   * Starts a compaction when the journal has grown enough: switches writes to a new journal, then
   * snapshots memory as it stood at the switch on another thread. Runs on the journal thread, which
   * is the only one changing memory, so the copy matches the closed journals exactly.
   */
  private void maybeCompact() {
    if (outage.cause() != null || !compaction.isDone()) {
      return;
    }
    if (journalBytes < Math.max(options.compactionMinBytes(), lastSnapshotBytes)) {
      return;
    }
    long now = System.nanoTime();
    if (nextCompactionAttempt != Long.MIN_VALUE && now - nextCompactionAttempt < 0) {
      return;
    }
    long next = generation + 1;
    Path nextPath = journalPath(next);
    Journal fresh = null;
    try {
      Files.deleteIfExists(nextPath); // left by an attempt that failed before it was used
      fresh = Journal.create(nextPath, options.channels());
      syncDirectory();
    } catch (IOException e) {
      if (fresh != null) {
        closeQuietly(fresh);
        deleteQuietly(nextPath);
      }
      nextCompactionAttempt = now + COMPACTION_RETRY_NANOS;
      log.warn("state store {}: cannot start {} for compaction; will retry: {}", dir, nextPath.getFileName(), e.toString());
      return;
    }
    Journal old = journal;
    journal = fresh;
    generation = next;
    journalBytes = fresh.size();
    closeQuietly(old);
    Map<String, List<Map.Entry<String, JsonNode>>> copy = table.copy();
    CompletableFuture<Void> task = new CompletableFuture<>();
    compaction = task;
    try {
      executor.execute(() -> {
        try {
          writeSnapshot(next, copy);
        } finally {
          task.complete(null);
        }
      });
    } catch (RejectedExecutionException e) {
      task.complete(null); // shutting down: the journals already hold everything
    }
  }

  private void writeSnapshot(long gen, Map<String, List<Map.Entry<String, JsonNode>>> copy) {
    Path target = snapshotPath(gen);
    try {
      lastSnapshotBytes = Snapshot.write(target, copy);
      syncDirectory();
      deleteCoveredFiles(gen);
      log.debug("state store {}: compacted into {}", dir, target.getFileName());
    } catch (IOException | RuntimeException e) {
      // Nothing is lost: the older snapshot and every journal are still in place.
      log.warn("state store {}: compaction into {} failed: {}", dir, target.getFileName(), e.toString());
    }
  }

  private void deleteCoveredFiles(long gen) throws IOException {
    for (Map.Entry<Long, Path> e : scan(SNAPSHOT).entrySet()) {
      if (e.getKey() < gen) {
        Files.deleteIfExists(e.getValue());
      }
    }
    for (Map.Entry<Long, Path> e : scan(JOURNAL).entrySet()) {
      if (e.getKey() < gen) {
        Files.deleteIfExists(e.getValue());
      }
    }
    syncDirectory();
  }

  // ------------------------------------------------------------------ recovery

  private void recover() throws StateStoreException, IOException {
    deleteTemporaryFiles();
    TreeMap<Long, Path> snapshots = scan(SNAPSHOT);
    TreeMap<Long, Path> journals = scan(JOURNAL);
    long first = 1;
    if (!snapshots.isEmpty()) {
      Map.Entry<Long, Path> newest = snapshots.lastEntry();
      first = newest.getKey();
      lastSnapshotBytes = Snapshot.read(newest.getValue(), table::put);
    }
    List<Map.Entry<Long, Path>> live = new ArrayList<>();
    for (Map.Entry<Long, Path> j : journals.entrySet()) {
      if (j.getKey() >= first) {
        live.add(j);
      }
    }
    long expected = first;
    for (Map.Entry<Long, Path> j : live) {
      if (j.getKey() != expected) {
        throw new StateStoreException(
            "state directory " + dir + " is missing " + journalPath(expected).getFileName()
                + " (found " + j.getValue().getFileName() + "); refusing to start without the writes it held");
      }
      expected++;
    }
    long totalJournalBytes = 0;
    long lastEnd = Journal.HEADER_BYTES;
    for (int i = 0; i < live.size(); i++) {
      Path file = live.get(i).getValue();
      lastEnd = Journal.replay(file, i == live.size() - 1, record -> record.applyTo(table));
      totalJournalBytes += lastEnd;
    }
    if (live.isEmpty()) {
      generation = first;
      journal = Journal.create(journalPath(first), options.channels());
      syncDirectory();
    } else {
      generation = live.getLast().getKey();
      journal = Journal.openForAppend(live.getLast().getValue(), lastEnd, options.channels());
    }
    journalBytes = totalJournalBytes;
    // Files a finished compaction no longer needed but a crash kept.
    deleteCoveredFiles(first);
    table.dropEmptyScopes();
    log.info(
        "state store {}: recovered {} scopes from {} journal(s){}",
        dir,
        table.scopeNames().size(),
        live.size(),
        snapshots.isEmpty() ? "" : " and " + snapshotPath(first).getFileName());
  }

  /** Removes half-written snapshots; names files this store does not know, without touching them. */
  private void deleteTemporaryFiles() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        if (name.endsWith(".snap.tmp")) {
          Files.deleteIfExists(p);
        } else if (!name.equals("LOCK") && !SNAPSHOT.matcher(name).matches() && !JOURNAL.matcher(name).matches()) {
          log.warn("state directory {}: ignoring {}, which this engine did not write", dir, name);
        }
      }
    }
  }

  private TreeMap<Long, Path> scan(Pattern pattern) throws IOException {
    TreeMap<Long, Path> out = new TreeMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        Matcher m = pattern.matcher(p.getFileName().toString());
        if (m.matches()) {
          out.put(Long.parseLong(m.group(1)), p);
        }
      }
    }
    return out;
  }

  private Path journalPath(long gen) {
    return dir.resolve(String.format("journal-%016d.log", gen));
  }

  private Path snapshotPath(long gen) {
    return dir.resolve(String.format("snapshot-%016d.snap", gen));
  }

  /** Makes creations, renames and deletions in the directory durable. */
  private void syncDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  // ------------------------------------------------------------------ shutdown

  /** Stops accepting writes, lets queued writes finish, and releases the directory. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      while (!committerDone.isDone() && !queue.offer(STOP, 100, TimeUnit.MILLISECONDS)) {
        // the journal thread is draining the queue; wait for room
      }
      committerDone.get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
      compaction.get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("state store {}: did not stop cleanly: {}", dir, e.toString());
    }
    refuseQueued();
    closeQuietly(journal);
    release(lockChannel, lock);
  }

  private static void closeQuietly(Journal j) {
    if (j == null) {
      return;
    }
    try {
      j.close();
    } catch (IOException e) {
      log.debug("closing {} failed: {}", j.file(), e.toString());
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.debug("deleting {} failed: {}", file, e.toString());
    }
  }

  private static void release(FileChannel channel, FileLock lock) {
    try {
      if (lock != null && lock.isValid()) {
        lock.release();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      log.debug("releasing the state directory lock failed: {}", e.toString());
    }
  }
}
