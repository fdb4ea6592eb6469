package io.linkly.app.link;

import io.linkly.app.Timestamps;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * When a link stops redirecting: after {@code expiresAt}, or once {@code maxClicks} people have
 * followed it; past either, {@code /s/<code>} answers 410, or redirects to {@code fallbackUrl} when
 * the link has one. Every part is optional; {@link #NONE} is a link that works for ever.
 */
public record LinkLimits(String expiresAt, Long maxClicks, String fallbackUrl) {

  public static final LinkLimits NONE = new LinkLimits(null, null, null);

  static final String EXPIRES_AT = "expires_at";
  static final String MAX_CLICKS = "max_clicks";
  static final String FALLBACK_URL = "fallback_url";

  /** True when {@code data} sets any of the limits (also to null, which removes it). */
  static boolean anyIn(JsonNode data) {
    return data != null && (data.has(EXPIRES_AT) || data.has(MAX_CLICKS) || data.has(FALLBACK_URL));
  }

  /**
   * The limits {@code data} sets (an absent or null field: none). Throws
   * {@link InvalidLinkException} for a value that is not one.
   */
  static LinkLimits parse(JsonNode data) {
    if (data == null) {
      return NONE;
    }
    return new LinkLimits(instant(data.get(EXPIRES_AT)), positiveCount(data.get(MAX_CLICKS)), fallback(data.get(FALLBACK_URL)));
  }

  /**
   * These limits with each one {@code data} names taken from {@code requested} (its parsed form):
   * a field set to null removes that limit, an absent field keeps it.
   */
  LinkLimits updatedBy(LinkLimits requested, JsonNode data) {
    return new LinkLimits(
        data.has(EXPIRES_AT) ? requested.expiresAt : expiresAt,
        data.has(MAX_CLICKS) ? requested.maxClicks : maxClicks,
        data.has(FALLBACK_URL) ? requested.fallbackUrl : fallbackUrl);
  }

  /** The limits a resolved or stored link carries (the cache and {@code link::resolve} use the same names). */
  static LinkLimits of(JsonNode link) {
    if (link == null) {
      return NONE;
    }
    JsonNode max = link.get(MAX_CLICKS);
    return new LinkLimits(
        textOrNull(link.get(EXPIRES_AT)), max == null || max.isNull() ? null : max.asLong(), textOrNull(link.get(FALLBACK_URL)));
  }

  boolean expiredAt(Instant now) {
    return expiresAt != null && !now.isBefore(Instant.parse(expiresAt));
  }

  /** Adds the limits that are set to a link's JSON shape. */
  void putInto(Map<String, Object> link) {
    if (expiresAt != null) {
      link.put(EXPIRES_AT, expiresAt);
    }
    if (maxClicks != null) {
      link.put(MAX_CLICKS, maxClicks);
    }
    if (fallbackUrl != null) {
      link.put(FALLBACK_URL, fallbackUrl);
    }
  }

  /** An ISO-8601 instant, with Z or an offset, stored as UTC with milliseconds. */
  private static String instant(JsonNode value) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new InvalidLinkException("\"expires_at\" must be an ISO-8601 date-time such as 2027-01-31T12:00:00Z");
    }
    try {
      Instant at = OffsetDateTime.parse(value.textValue()).toInstant();
      return Timestamps.format(at);
    } catch (DateTimeParseException e) {
      throw new InvalidLinkException("\"expires_at\" must be an ISO-8601 date-time such as 2027-01-31T12:00:00Z");
    }
  }

  private static Long positiveCount(JsonNode value) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1 || value.asLong() > Integer.MAX_VALUE) {
      throw new InvalidLinkException("\"max_clicks\" must be a whole number from 1 to " + Integer.MAX_VALUE);
    }
    return value.asLong();
  }

  private static String fallback(JsonNode value) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new InvalidLinkException("\"fallback_url\" must be a string");
    }
    try {
      return LinkTarget.normalise(value.textValue());
    } catch (InvalidLinkException e) {
      throw new InvalidLinkException(e.getMessage().replace("\"url\"", "\"fallback_url\""));
    }
  }

  private static String textOrNull(JsonNode value) {
    return value == null || value.isNull() ? null : value.asText();
  }
}
