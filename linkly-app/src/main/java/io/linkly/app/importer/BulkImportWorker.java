package io.linkly.app.importer;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.guard.GuardWorker;
import io.linkly.app.link.HttpResponses;
import io.linkly.app.link.ShortCode;
import io.linkly.iii.sdk.ChannelReader;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerBinding;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The {@code bulk-importer} worker (LINKLY.md Ch. 6): {@code bulk-importer::import_csv {reader,
 * mode?}} imports the CSV streamed through the channel {@code reader} and answers the report; the
 * same import is served over HTTP as {@code POST /links/import}, the body (text/csv) streamed
 * through the request's {@code request_body} channel, for curl.
 */
public final class BulkImportWorker {

  public static final String FUNCTION = "bulk-importer::import_csv";

  private final Iii iii;
  private final BulkImporter importer;

  public BulkImportWorker(Iii iii, ShortCode codes, Clock clock) {
    this.iii = iii;
    this.importer = new BulkImporter(iii, codes, clock);
  }

  public void start() {
    iii.registerFunction(FUNCTION, (data, ctx) -> importCsv(data));
    iii.registerFunction("http::import", (data, ctx) -> httpImport(data));
    // one import is one creation for the rate limit, however many rows it holds
    iii.registerTrigger(TriggerBinding.of("http", "http::import", Map.of(
        "api_path", "/links/import", "http_method", "POST",
        "middleware_function_ids", List.of(GuardWorker.REQUIRE_TOKEN, GuardWorker.LIMIT_CREATION))));
  }

  Map<String, Object> importCsv(JsonNode data) {
    ChannelReader reader = ChannelReader.from(data.get("reader"));
    return importer.importCsv(reader, ImportMode.parse(mode(data.get("mode")))).toResult();
  }

  /** 200 with the report; 400 with the error for a CSV without its header or a bad mode. */
  Map<String, Object> httpImport(JsonNode request) {
    try {
      ChannelReader body = ChannelReader.from(request.get("request_body"));
      String mode = mode(request.path("query_params").get("mode"));
      return HttpResponses.json(200, importer.importCsv(body, ImportMode.parse(mode)).toResult());
    } catch (IiiException e) {
      return HttpResponses.json(400, Map.of("error", e.getMessage(), "code", e.code()));
    }
  }

  private static String mode(JsonNode mode) {
    return mode == null || mode.isNull() ? null : mode.asText();
  }
}
