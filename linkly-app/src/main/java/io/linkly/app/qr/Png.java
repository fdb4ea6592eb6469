package io.linkly.app.qr;

import com.google.zxing.common.BitMatrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * A QR code as a PNG image (1-bit greyscale), written with {@code java.util.zip}: no AWT, no
 * ImageIO (whose stream cache writes temporary files by default), and a few hundred bytes per code.
 */
final class Png {

  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private Png() {}

  /**
   * {@code modules} (one cell per module, quiet zone included) scaled to exactly {@code size} ×
   * {@code size} pixels: every module the same whole number of pixels, the pixels left over added
   * to the quiet zone, as ZXing's own renderer does.
   *
   * @throws IllegalArgumentException when {@code size} is smaller than the code's module count
   */
  static byte[] of(BitMatrix modules, int size) {
    int n = modules.getWidth();
    int scale = size / n;
    if (scale < 1) {
      throw new IllegalArgumentException("a " + size + "-pixel image cannot show a code of " + n + " modules");
    }
    int offset = (size - n * scale) / 2;
    int rowBytes = (size + 7) / 8;
    byte[] light = new byte[1 + rowBytes]; // filter type 0 (None), then the pixels: 1 is light
    Arrays.fill(light, 1, light.length, (byte) 0xff);

    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    try (DeflaterOutputStream out = new DeflaterOutputStream(pixels, deflater)) {
      for (int y = 0; y < offset; y++) {
        out.write(light);
      }
      for (int my = 0; my < n; my++) {
        byte[] row = light.clone();
        for (int mx = 0; mx < n; mx++) {
          if (modules.get(mx, my)) {
            int from = offset + mx * scale;
            for (int px = from; px < from + scale; px++) {
              row[1 + (px >>> 3)] &= (byte) ~(0x80 >>> (px & 7));
            }
          }
        }
        for (int i = 0; i < scale; i++) {
          out.write(row);
        }
      }
      for (int y = offset + n * scale; y < size; y++) {
        out.write(light);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    } finally {
      deflater.end();
    }

    ByteArrayOutputStream png = new ByteArrayOutputStream(pixels.size() + 64);
    png.writeBytes(SIGNATURE);
    byte[] header = new byte[13];
    putInt(header, 0, size);
    putInt(header, 4, size);
    header[8] = 1; // bit depth
    header[9] = 0; // greyscale; compression, filter and interlace methods stay 0
    chunk(png, "IHDR", header);
    chunk(png, "IDAT", pixels.toByteArray());
    chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  /** length, type, data, CRC-32 of type and data. */
  private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    byte[] length = new byte[4];
    putInt(length, 0, data.length);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    byte[] check = new byte[4];
    putInt(check, 0, (int) crc.getValue());
    png.writeBytes(length);
    png.writeBytes(name);
    png.writeBytes(data);
    png.writeBytes(check);
  }

  private static void putInt(byte[] into, int at, int value) {
    into[at] = (byte) (value >>> 24);
    into[at + 1] = (byte) (value >>> 16);
    into[at + 2] = (byte) (value >>> 8);
    into[at + 3] = (byte) value;
  }
}
