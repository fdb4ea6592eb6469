package io.linkly.iii.engine.workers.httpfunctions;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code x-iii-Signature} of an HMAC-authenticated call: {@code sha256=} and the hex
 * HMAC-SHA256, keyed with the secret, of {@code "<timestamp>:<base64 of the body>"}. Signing the
 * timestamp with the body lets the endpoint refuse replays of an old request.
 */
public final class RequestSignature {

  private RequestSignature() {}

  public static String sign(byte[] body, String secret, long timestampSeconds) {
    String signed = timestampSeconds + ":" + Base64.getEncoder().encodeToString(body);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      byte[] key = secret.getBytes(StandardCharsets.UTF_8);
      // SecretKeySpec refuses an empty key; HMAC pads keys with zero bytes, so one zero byte signs
      // exactly as the empty secret (an empty variable is a secret upstream accepts).
      mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
