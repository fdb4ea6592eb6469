package io.linkly.app.visit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Who made a click, as far as a link shortener may know: the host that referred the visitor
 * ({@code null} for a direct visit), the browser, operating system and device type read from the
 * user agent, whether the visitor is a crawler, and the client address with its host part
 * removed ({@link AnonymisedIp}). Nothing here identifies a person.
 *
 * <p>{@code device} is one of {@code desktop}, {@code mobile}, {@code tablet}, {@code bot} or
 * {@code other}.
 */
public record Visit(String referrer, String browser, String os, String device, boolean bot, String ip) {

  /** What a click without any of this (an old row, a click made by {@code iii trigger}) reads as. */
  public static final Visit UNKNOWN = new Visit(null, "Other", "Other", "other", false, null);

  /** Adds the fields to a click's JSON shape (the live stream item, the {@code link.clicked} event). */
  public void putInto(Map<String, Object> click) {
    click.put("referrer", referrer);
    click.put("browser", browser);
    click.put("os", os);
    click.put("device", device);
    click.put("bot", bot);
    click.put("ip", ip);
  }

  /** The fields of a click's JSON shape or of a {@code clicks} row; missing ones read as {@link #UNKNOWN}'s. */
  public static Visit from(JsonNode click) {
    return new Visit(
        textOr(click, "referrer", UNKNOWN.referrer),
        textOr(click, "browser", UNKNOWN.browser),
        textOr(click, "os", UNKNOWN.os),
        textOr(click, "device", UNKNOWN.device),
        isTrue(click.get("bot")),
        textOr(click, "ip", UNKNOWN.ip));
  }

  /** A row's {@code bot} column is 0/1, an event's a boolean. */
  private static boolean isTrue(JsonNode value) {
    return value != null && (value.asBoolean(false) || value.asInt(0) != 0);
  }

  private static String textOr(JsonNode node, String field, String fallback) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? fallback : value.asText();
  }
}
