package io.linkly.app.link;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

/**
 * A path parameter as Linkly's routes mean it. iii-http hands path parameters over as sent, not
 * percent-decoded (BUILTINS.md §9.3, and so does upstream), so {@code /s/%69%69%69} arrives as
 * {@code %69%69%69}; a client may escape any character, so the code is decoded before lookup
 * (by the link worker and the QR codes alike).
 */
public final class PathParam {

  private PathParam() {}

  /** The decoded value (UTF-8), or empty when it is not a valid path segment. */
  public static Optional<String> decoded(String raw) {
    if (raw.indexOf('%') < 0) {
      return Optional.of(raw);
    }
    try {
      // URI checks every escape (two hex digits) and decodes the path as UTF-8; "/" keeps a
      // segment like "a:b" from being read as a scheme
      return Optional.of(new URI("/" + raw).getPath().substring(1));
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }
}
