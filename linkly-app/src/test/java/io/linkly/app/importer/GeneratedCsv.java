package io.linkly.app.importer;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code code,url} and then {@code rows} rows {@code <prefix><n>,https://example.com/<n>}, made as
 * they are read: the file never exists whole.
 */
final class GeneratedCsv extends InputStream {

  private final String prefix;
  private final int rows;
  private int next = -1;
  private byte[] line = new byte[0];
  private int at;

  GeneratedCsv(String prefix, int rows) {
    this.prefix = prefix;
    this.rows = rows;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) {
    if (at == line.length) {
      if (next == rows) {
        return -1;
      }
      String text = next < 0 ? "code,url\r\n" : prefix + next + ",https://example.com/" + next + "\r\n";
      line = text.getBytes(StandardCharsets.UTF_8);
      at = 0;
      next++;
    }
    int n = Math.min(length, line.length - at);
    System.arraycopy(line, at, buffer, offset, n);
    at += n;
    return n;
  }
}
