package io.linkly.app.upload;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.sdk.Channel;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerRequest;
import io.linkly.iii.sdk.WorkerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code ./linkly import FILE.csv [--mode all_or_nothing]}: streams a CSV of {@code code,url} rows
 * to {@code bulk-importer::import_csv} over a data channel (LINKLY.md Ch. 6), showing progress, then
 * prints the importer's report. The file is never read whole: it goes out in frames as the
 * importer takes them. The call is made before the first byte is written, since only the importer
 * can drain the channel.
 */
public final class ImportCommand {

  public static final String FUNCTION = "bulk-importer::import_csv";
  /** A million rows take seconds; the call may wait this long for the report. */
  private static final Duration REPORT_TIMEOUT = Duration.ofMinutes(30);

  private ImportCommand() {}

  /** Exit codes: 0 imported (skipped rows are reported, not failures), 1 the import failed, 2 usage. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    String file = null;
    String mode = null;
    String address = Linkly.engineUrlFromEnv();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--mode" -> mode = i + 1 < args.length ? args[++i] : null;
        case "--address" -> address = i + 1 < args.length ? args[++i] : null;
        default -> file = file == null ? args[i] : null;
      }
    }
    if (file == null || address == null || (mode != null && !mode.equals("all_or_nothing") && !mode.equals("best_effort"))) {
      err.println("usage: linkly import FILE.csv [--mode best_effort|all_or_nothing] [--address ws://127.0.0.1:49134]");
      return 2;
    }
    Path path = Path.of(file);
    if (!Files.isReadable(path) || Files.isDirectory(path)) {
      err.println("linkly import: cannot read " + file);
      return 2;
    }
    try (Iii iii = Iii.registerWorker(address, WorkerOptions.builder().workerName("uploader").invocationTimeout(REPORT_TIMEOUT).build())) {
      JsonNode report = upload(iii, path, mode, new Progress(err, Files.size(path), System.console() != null));
      out.println(Json.writePretty(report));
      return 0;
    } catch (IiiException e) {
      err.println("linkly import: " + e.code() + ": " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("linkly import: " + e.getMessage());
      return 1;
    }
  }

  static JsonNode upload(Iii iii, Path csv, String mode, Progress progress) throws IOException {
    Channel channel = iii.createChannel();
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("reader", channel.readerRef());
    if (mode != null) {
      payload.put("mode", mode);
    }
    CompletableFuture<JsonNode> report =
        iii.triggerAsync(TriggerRequest.of(FUNCTION, payload).withTimeout(REPORT_TIMEOUT));
    long sent = 0;
    long rows = 0;
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(csv); OutputStream writer = channel.writer()) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (report.isDone()) {
          break; // the importer answered (failed) before reading everything: its answer says why
        }
        writer.write(buffer, 0, n);
        sent += n;
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            rows++;
          }
        }
        progress.update(sent, rows);
      }
    } catch (IOException e) {
      if (!report.isDone()) {
        throw e;
      }
    } finally {
      progress.done();
    }
    try {
      return report.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IiiException failure) {
        throw failure;
      }
      throw new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the import report");
    }
  }
}
