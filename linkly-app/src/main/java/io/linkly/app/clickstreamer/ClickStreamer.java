package io.linkly.app.clickstreamer;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.link.LinkWorker;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.IiiException;
import io.linkly.iii.sdk.TriggerBinding;
import io.linkly.iii.sdk.TriggerRequest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code click-streamer} worker (LINKLY.md Ch. 5): every {@code link.clicked} event becomes an
 * item of stream {@code clicks}, group {@code all}, which the stream worker pushes to every
 * dashboard subscribed to it.
 */
public final class ClickStreamer {

  public static final String NAME = "click-streamer";
  public static final String STREAM = "clicks";
  public static final String GROUP = "all";

  private final Iii iii;

  public ClickStreamer(Iii iii) {
    this.iii = iii;
  }

  public void start() {
    iii.registerFunction("click-streamer::broadcast", (data, ctx) -> broadcast(data));
    iii.registerTrigger(TriggerBinding.of("subscribe", "click-streamer::broadcast", Map.of("topic", LinkWorker.CLICKED_TOPIC)));
    iii.logger(NAME).info("click-streamer ready");
  }

  /**
   * The item id is {@code <code>-<clicked_at>} as in the tutorial, plus the click's row id when
   * the event carries one: upstream's id makes two clicks of one millisecond a single item.
   */
  Map<String, Object> broadcast(JsonNode click) {
    String code = click.path("code").asText(null);
    String clickedAt = click.path("clicked_at").asText(null);
    if (code == null || clickedAt == null) {
      throw new IiiException("INVALID_CLICK", "a click needs code and clicked_at");
    }
    String clickId = click.path("click_id").asText(null);
    String itemId = code + "-" + clickedAt + (clickId == null ? "" : "-" + clickId);
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("code", code);
    item.put("clicked_at", clickedAt);
    iii.trigger(TriggerRequest.of("stream::set", Map.of("stream_name", STREAM, "group_id", GROUP, "item_id", itemId, "data", item)));
    return Map.of("streamed", true);
  }
}
