package io.linkly.app.qr;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.util.EnumMap;
import java.util.Map;

/**
 * QR codes of short URLs: error correction M, a quiet zone of 4 modules, one matrix cell per
 * module. {@link #svg} draws it as text; {@link Png} scales it to pixels.
 */
final class QrCodes {

  static final int QUIET_ZONE = 4;
  /** How many SVG user units a module is drawn at by default (the viewBox lets it scale). */
  private static final int SVG_MODULE_SIZE = 8;

  private QrCodes() {}

  /**
   * The code of {@code text} with its quiet zone, one cell per module (width 0 asks ZXing for no
   * scaling). The text is the ASCII short URL, so ZXing's default byte mode needs no ECI segment.
   *
   * @throws IllegalArgumentException when the text is too long for any QR code
   */
  static BitMatrix encode(String text) {
    Map<EncodeHintType, Object> hints = new EnumMap<>(EncodeHintType.class);
    hints.put(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.M);
    hints.put(EncodeHintType.MARGIN, QUIET_ZONE);
    try {
      return new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0, hints);
    } catch (WriterException e) {
      throw new IllegalArgumentException("too long for a QR code (" + text.length() + " characters)", e);
    }
  }

  /**
   * The code as an SVG document: a light square and one path of the dark modules, each run of
   * dark modules in a row one rectangle, in module units ({@code viewBox} 0 0 n n).
   */
  static String svg(BitMatrix modules) {
    int n = modules.getWidth();
    StringBuilder path = new StringBuilder(n * n);
    for (int y = 0; y < n; y++) {
      int x = 0;
      while (x < n) {
        if (!modules.get(x, y)) {
          x++;
          continue;
        }
        int start = x;
        while (x < n && modules.get(x, y)) {
          x++;
        }
        int run = x - start;
        path.append('M').append(start).append(' ').append(y).append('h').append(run).append("v1h-").append(run).append('z');
      }
    }
    int size = n * SVG_MODULE_SIZE;
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + size + "\" height=\"" + size + "\" viewBox=\"0 0 " + n + " " + n
        + "\" shape-rendering=\"crispEdges\">"
        + "<rect width=\"" + n + "\" height=\"" + n + "\" fill=\"#fff\"/>"
        + "<path fill=\"#000\" d=\"" + path + "\"/>"
        + "</svg>\n";
  }
}
