package io.linkly.app.clickstreamer;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.LinkWorker;
import io.linkly.app.visit.Visit;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code click-streamer} worker (LINKLY.md Ch. 5): every {@code link.clicked} event becomes an
 * item of stream {@code clicks}, group {@code all}, which the stream worker pushes to every
 * dashboard subscribed to it.
 *
 * <p>Beyond the tutorial, no recorded click is left off the stream: each click row carries an
 * outbox flag that this worker sets once the click is on the stream ({@link StreamedMarks}), and
 * {@link ClickReconciler} streams the rows whose announcement was lost (a crash between the insert
 * and the stream write, or this worker being away). Item ids are fixed by the click, so streaming a
 * click twice leaves one item.
 *
 * <p>Each click that newly reaches the stream also adds one to its link's total in group
 * {@code totals} ({@link ClickTotals}), so a dashboard can show per-link counts without counting.
 */
public final class ClickStreamer implements AutoCloseable {

  public static final String NAME = "click-streamer";
  public static final String STREAM = "clicks";
  public static final String GROUP = "all";
  /** The group of per-link totals: item id the code, data {@code {code, clicks, last_clicked_at}}. */
  public static final String TOTALS_GROUP = "totals";

  private final Iii iii;
  private final StreamedMarks marks;
  private final ClickReconciler reconciler;
  private final ClickTotals totals;

  /** How often the rows whose announcement never came are looked for, after the sweep at start. */
  private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(30);

  public ClickStreamer(Iii iii) {
    this.iii = iii;
    this.marks = new StreamedMarks(iii);
    this.reconciler = new ClickReconciler(iii, this, SWEEP_INTERVAL);
    this.totals = new ClickTotals(iii);
  }

  public void start() {
    totals.start(); // clicks streamed before its first seed is written wait for it
    iii.registerFunction("click-streamer::broadcast", (data, ctx) -> broadcast(data));
    iii.registerTrigger(TriggerBinding.of("subscribe", "click-streamer::broadcast", Map.of("topic", LinkWorker.CLICKED_TOPIC)));
    // a deleted link leaves the dashboards at once: its total goes (its clicks stay in the table)
    iii.registerFunction("click-streamer::forget", (data, ctx) -> totals.forget(data.path("code").asText()));
    iii.registerTrigger(TriggerBinding.of("subscribe", "click-streamer::forget", Map.of("topic", LinkWorker.DELETED_TOPIC)));
    marks.start();
    reconciler.start();
    iii.logger(NAME).info("click-streamer ready");
  }

  Map<String, Object> broadcast(JsonNode click) {
    String code = click.path("code").asText(null);
    String clickedAt = click.path("clicked_at").asText(null);
    if (code == null || clickedAt == null) {
      throw new IiiException("INVALID_CLICK", "a click needs code and clicked_at");
    }
    String clickId = click.path("click_id").asText(null);
    stream(code, clickedAt, clickId, click.path("recorded_at").asText(null), Visit.from(click));
    if (clickId != null) {
      marks.add(clickId);
    }
    return Map.of("streamed", true);
  }

  /**
   * Puts one click on the stream, and counts it in its link's total when its item is new and the
   * visitor is not a crawler: a click streamed again (a redelivered announcement, the reconciler
   * meeting a late one) counts once. A crawler's click is on the stream, flagged {@code bot}.
   */
  void stream(String code, String clickedAt, String clickId, String recordedAt, Visit visit) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("code", code);
    item.put("clicked_at", clickedAt);
    if (clickId != null) {
      item.put("click_id", clickId);
    }
    if (recordedAt != null) {
      item.put("recorded_at", recordedAt); // when the row committed: lets a dashboard see the pipeline's lag
    }
    visit.putInto(item);
    JsonNode written =
        iii.trigger(TriggerRequest.of("stream::set", Map.of("stream_name", STREAM, "group_id", GROUP, "item_id", itemId(code, clickedAt, clickId), "data", item)));
    JsonNode previous = written == null ? null : written.get("old_value");
    if ((previous == null || previous.isNull()) && !visit.bot()) {
      totals.count(code, clickedAt, clickId);
    }
  }

  /** True when the click's item is on the stream now. */
  boolean isStreamed(String code, String clickedAt, String clickId) {
    JsonNode item = iii.trigger(TriggerRequest.of("stream::get", Map.of("stream_name", STREAM, "group_id", GROUP, "item_id", itemId(code, clickedAt, clickId))));
    return item != null && !item.isNull();
  }

  /**
   * The item id is {@code <code>-<clicked_at>} as in the tutorial, plus the click's row id when
   * known: upstream's id makes two clicks of one millisecond a single item.
   */
  static String itemId(String code, String clickedAt, String clickId) {
    return code + "-" + clickedAt + (clickId == null ? "" : "-" + clickId);
  }

  ClickTotals totals() {
    return totals;
  }

  @Override
  public void close() {
    totals.close();
    reconciler.close();
    marks.close();
  }
}
