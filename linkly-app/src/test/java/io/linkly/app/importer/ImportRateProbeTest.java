package io.linkly.app.importer;

import io.linkly.app.Linkly;
import io.linkly.app.LinklyFixture;
import io.linkly.app.link.ShortCode;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.WorkerOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: prints the import rate of {@code linkly.import.rows} generated rows (default
 * 200,000), imported twice into a fresh Linkly so that the second run is on a warm JIT. Runs only
 * when asked ({@code -DargLine=-Dlinkly.import.probe=true}). Analytics is replaced by a no-op, as
 * in {@link BulkImporterTest}, unless {@code linkly.import.real-analytics=true}.
 */
@EnabledIfSystemProperty(named = "linkly.import.probe", matches = "true")
class ImportRateProbeTest {

  @TempDir Path data;

  @Test
  void printTheImportRate() throws Exception {
    int rows = Integer.getInteger("linkly.import.rows", 200_000);
    ImportMode mode = ImportMode.parse(System.getProperty("linkly.import.mode"));
    List<String> rates = new ArrayList<>();
    try (Linkly linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC())) {
      Iii standIn = Iii.registerWorker(linkly.engine(), WorkerOptions.builder().workerName("analytics-stand-in").build());
      if (!Boolean.getBoolean("linkly.import.real-analytics")) {
        standIn.registerFunction("analytics::on_link_created", (link, ctx) -> Map.of("ok", true));
        while (!linkly.engine().core().function("analytics::on_link_created").orElseThrow().owner().id().equals(standIn.workerId())) {
          Thread.sleep(10);
        }
      }
      Iii worker = Iii.registerWorker(linkly.engine(), WorkerOptions.builder().workerName(BulkImporter.NAME).build());
      BulkImporter importer = new BulkImporter(worker, ShortCode.secure(), Clock.systemUTC());
      for (int run = 1; run <= 2; run++) {
        long start = System.nanoTime();
        ImportReport report = importer.importCsv(new GeneratedCsv("run" + run + "-", rows), mode);
        long nanos = System.nanoTime() - start;
        rates.add(String.format(
            "import rate, %s, run %d: %,d rows in %,d ms = %,.0f rows/s",
            mode.wireName(), run, report.imported(), nanos / 1_000_000, report.imported() * 1e9 / nanos));
      }
      worker.shutdown();
      standIn.shutdown();
    }
    rates.forEach(System.out::println); // after Linkly stopped, so that no log line cuts them
  }
}
