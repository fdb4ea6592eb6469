package io.linkly.app.importer;

import io.linkly.app.Timestamps;
import io.linkly.app.link.InvalidLinkException;
import io.linkly.app.link.LinkStore;
import io.linkly.app.link.LinkTarget;
import io.linkly.app.link.LinkWorker;
import io.linkly.app.link.ShortCode;
import io.linkly.iii.protocol.TriggerAction;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.Logger;
import io.linkly.iii.sdk.TriggerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The core of the {@code bulk-importer} worker (LINKLY.md Ch. 6): imports links from a CSV stream,
 * validated and normalised as {@code link::create} does, many rows per statement.
 *
 * <p>Rows are read one at a time and inserted {@code batchRows} at a time with one
 * {@code INSERT … ON CONFLICT (code) DO NOTHING RETURNING code}: a code the database already holds,
 * or that an earlier row of the file took, is not returned and the row is reported as a duplicate.
 * Each imported link is announced on {@code link.created} with {@code link::create}'s data, without
 * waiting, so that analytics counts it; the state cache is left alone (a resolve caches the link).
 *
 * <p>Best effort commits batch by batch and announces each batch once it is in. All or nothing runs
 * in one interactive transaction, which holds SQLite's one writer meanwhile: any skipped row rolls
 * it all back, and only a commit announces the links, read back from the database (their row ids
 * follow the last one the transaction saw at its start), so memory stays one batch whatever the size.
 */
public final class BulkImporter {

  public static final String NAME = "bulk-importer";
  static final int DEFAULT_BATCH_ROWS = 1_000;
  static final int MAX_LISTED_SKIPS = 1_000;
  /** No link row comes near this; a longer record is a quote left open. */
  static final long MAX_RECORD_CHARS = 1 << 20;
  /** The longest an all-or-nothing import may hold the writer (the database's limit). */
  static final Duration ALL_OR_NOTHING_TIMEOUT = Duration.ofMinutes(5);
  private static final int MAX_GENERATION_ATTEMPTS = 10;
  private static final String DUPLICATE_REASON = "code already exists";

  private final Iii iii;
  private final LinkStore store;
  private final ShortCode codes;
  private final Clock clock;
  private final Logger log;
  private final int batchRows;

  public BulkImporter(Iii iii, ShortCode codes, Clock clock) {
    this(iii, codes, clock, DEFAULT_BATCH_ROWS);
  }

  BulkImporter(Iii iii, ShortCode codes, Clock clock, int batchRows) {
    this.iii = iii;
    this.store = new LinkStore(iii);
    this.codes = codes;
    this.clock = clock;
    this.log = iii.logger(NAME);
    this.batchRows = batchRows;
  }

  /**
   * Imports the CSV {@code csv}, read up to its end or to where the import stopped, then closed.
   * Throws {@link InvalidCsvException} when the file has no header or no url column (nothing is
   * imported), an {@link IiiException} when an all-or-nothing transaction cannot be opened (such as
   * {@code TOO_MANY_TRANSACTIONS} while another one runs), and {@link UncheckedIOException} when the
   * stream fails before the header is read; everything else is in the report, including a stream
   * that fails later ({@code error.code} {@code READ_FAILED}).
   */
  public ImportReport importCsv(InputStream csv, ImportMode mode) {
    ImportReport report = new ImportReport(mode, MAX_LISTED_SKIPS);
    try (CsvLinks rows = CsvLinks.open(csv, MAX_RECORD_CHARS)) {
      if (mode == ImportMode.ALL_OR_NOTHING) {
        allOrNothing(rows, report);
      } else {
        bestEffort(rows, report);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // the stream failed while the header was read, or on close
    }
    log.info("bulk import complete", Map.of("imported", report.imported(), "skipped", report.skippedCount()));
    return report;
  }

  private void bestEffort(CsvLinks rows, ImportReport report) {
    insertAll(rows, report, null);
  }

  private void allOrNothing(CsvLinks rows, ImportReport report) {
    String transaction = store.beginTransaction(ALL_OR_NOTHING_TIMEOUT);
    long before;
    long last;
    boolean ended = false;
    try {
      store.writeLinksAlone(transaction);
      before = store.lastLinkRowId(transaction);
      insertAll(rows, report, transaction);
      if (report.skippedCount() > 0 || report.stoppedEarly()) {
        ended = true;
        report.rolledBack();
        store.rollback(transaction);
        return;
      }
      last = store.lastLinkRowId(transaction);
      ended = true;
      store.commit(transaction);
    } catch (IiiException e) {
      if (!report.stoppedEarly()) {
        report.stopped(e.code(), e.getMessage(), null); // e.g. the transaction ran out of time
      }
      report.rolledBack();
      return;
    } finally {
      if (!ended) {
        rollbackQuietly(transaction);
        report.rolledBack();
      }
    }
    try {
      announceBetween(before, last);
    } catch (IiiException e) {
      // committed all the same: the links are there, only some link.created events are missing
      report.stopped(e.code(), "imported, but reading the links back to announce them failed: " + e.getMessage(), null);
    }
  }

  /**
   * Fills {@code batch} with the next valid rows, reporting the others; false once the file is
   * done and nothing is left to insert.
   */
  private boolean read(CsvLinks rows, ImportReport report, Batch batch) {
    batch.clear();
    while (batch.size() < batchRows) {
      CsvLinks.Row row;
      try {
        row = rows.next();
      } catch (CsvLinks.UnreadableException e) {
        report.stopped(e.code(), e.getMessage(), e.line());
        break;
      }
      if (row == null) {
        break;
      }
      report.rowRead();
      switch (row) {
        case CsvLinks.Malformed m -> report.skip(m.line(), SkippedRow.MALFORMED_ROW, m.reason());
        case CsvLinks.Link link -> accept(link, report, batch);
      }
    }
    return !batch.isEmpty();
  }

  /** Validates and normalises as link::create does: the URL first, then a chosen code. */
  private void accept(CsvLinks.Link link, ImportReport report, Batch batch) {
    String url;
    try {
      url = LinkTarget.normalise(link.url());
    } catch (InvalidLinkException e) {
      report.skip(link.line(), SkippedRow.INVALID_URL, e.getMessage());
      return;
    }
    if (link.code() == null) {
      batch.add(new Pending(link.line(), codes.generate(), url, true));
      return;
    }
    try {
      batch.add(new Pending(link.line(), ShortCode.validate(link.code()), url, false));
    } catch (InvalidLinkException e) {
      report.skip(link.line(), SkippedRow.INVALID_CODE, e.getMessage());
    }
  }

  /**
   * Reads and inserts the whole file. The database works on one batch while the next is read and
   * the one before is announced. Outside a transaction each batch commits by itself and is
   * announced once it is in. Stops when the database fails (reported; the batches before stay).
   */
  private void insertAll(CsvLinks rows, ImportReport report, String transaction) {
    Batch sending = new Batch();
    Batch reading = new Batch();
    if (!read(rows, report, sending)) {
      return;
    }
    String createdAt = now();
    CompletableFuture<Set<String>> inserted = store.insertNewLinks(asLinks(sending.rows()), createdAt, transaction);
    while (true) {
      boolean more = read(rows, report, reading);
      Settled settled;
      try {
        settled = settle(sending.rows(), await(inserted), createdAt, transaction, report);
      } catch (IiiException e) {
        report.stopped(e.code(), e.getMessage(), sending.rows().get(0).line());
        return;
      }
      more = more && !settled.failed();
      if (more) {
        createdAt = now();
        inserted = store.insertNewLinks(asLinks(reading.rows()), createdAt, transaction);
      }
      if (transaction == null) { // in a transaction, only the commit may announce
        for (Pending row : settled.imported()) {
          announce(row.code(), row.url());
        }
      }
      if (!more) {
        return;
      }
      Batch done = sending;
      sending = reading;
      reading = done;
    }
  }

  /**
   * Tells the imported rows from the duplicates and returns the imported ones; a generated code
   * that turns out taken is drawn again, as link::create does. A database failure while drawing
   * again is reported and stops the import.
   */
  private Settled settle(List<Pending> sent, Set<String> inserted, String createdAt, String transaction, ImportReport report) {
    List<Pending> imported = new ArrayList<>(sent.size());
    boolean failed = false;
    List<Pending> pending = sent;
    for (int attempt = 1; ; attempt++) {
      Set<String> placed = new HashSet<>(); // a code twice in the batch: the first row got it
      List<Pending> redraw = new ArrayList<>();
      for (Pending row : pending) {
        if (inserted.contains(row.code()) && placed.add(row.code())) {
          imported.add(row);
        } else if (!row.generated()) {
          report.skip(row.line(), SkippedRow.DUPLICATE_CODE, DUPLICATE_REASON);
        } else if (attempt < MAX_GENERATION_ATTEMPTS) {
          redraw.add(new Pending(row.line(), codes.generate(), row.url(), true));
        } else {
          report.skip(row.line(), SkippedRow.CODE_SPACE_EXHAUSTED, "could not find a free short code");
        }
      }
      if (redraw.isEmpty()) {
        break;
      }
      pending = redraw;
      try {
        inserted = await(store.insertNewLinks(asLinks(redraw), createdAt, transaction));
      } catch (IiiException e) {
        report.stopped(e.code(), e.getMessage(), redraw.get(0).line()); // what is in stays, and is announced
        failed = true;
        break;
      }
    }
    report.imported(imported.size());
    return new Settled(imported, failed);
  }

  private String now() {
    return Timestamps.now(clock);
  }

  private static Set<String> await(CompletableFuture<Set<String>> inserted) {
    try {
      return inserted.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IiiException failure) {
        throw failure;
      }
      throw e;
    }
  }

  /** After an all-or-nothing commit: announces the links the transaction added, a page at a time. */
  private void announceBetween(long before, long last) {
    long after = before;
    while (after < last) {
      List<LinkStore.StoredLink> page = store.linksBetween(after, last, batchRows);
      if (page.isEmpty()) {
        return;
      }
      for (LinkStore.StoredLink link : page) {
        announce(link.code(), link.url());
      }
      after = page.get(page.size() - 1).rowId();
    }
  }

  /** {@code link.created} with link::create's data, without waiting for it. */
  private void announce(String code, String url) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("code", code);
    data.put("url", url);
    iii.trigger(
        TriggerRequest.of("publish", Map.of("topic", LinkWorker.CREATED_TOPIC, "data", data)).withAction(TriggerAction.Void()));
  }

  private void rollbackQuietly(String transaction) {
    try {
      store.rollback(transaction);
    } catch (IiiException e) {
      // it ended already (expired, or the engine is stopping): nothing of it stays either way
    }
  }

  private static List<LinkStore.NewLink> asLinks(List<Pending> rows) {
    List<LinkStore.NewLink> out = new ArrayList<>(rows.size());
    for (Pending row : rows) {
      out.add(new LinkStore.NewLink(row.code(), row.url()));
    }
    return out;
  }

  /** A batch's imported rows, and whether the database failed while drawing codes again. */
  private record Settled(List<Pending> imported, boolean failed) {}

  /** A valid row waiting for its batch's insert. */
  private record Pending(long line, String code, String url, boolean generated) {}

  /** The rows of the next insert; reused from batch to batch. */
  private static final class Batch {
    private final List<Pending> rows = new ArrayList<>();

    void add(Pending row) {
      rows.add(row);
    }

    int size() {
      return rows.size();
    }

    boolean isEmpty() {
      return rows.isEmpty();
    }

    void clear() {
      rows.clear();
    }

    /** The rows as they are; the list changes when the batch is read into again. */
    List<Pending> rows() {
      return Collections.unmodifiableList(rows);
    }
  }
}
