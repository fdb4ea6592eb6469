package io.linkly.app.importer;

import java.io.FilterReader;
import java.io.IOException;
import java.io.Reader;

/**
 * The CSV text as the parser reads it, minus a leading byte order mark, with two jobs the parser
 * does not do. It tells the line on which a record starts: the parser gives a record's character
 * position, which lies before the blank lines it skipped, and quoted fields may hold line breaks
 * of their own. And it refuses a record that grows past {@code maxRecordChars}, so that one
 * unterminated quote cannot pull a whole file into memory. CRLF, LF and a lone CR each end a line.
 */
final class LineTrackingReader extends FilterReader {

  private final long maxRecordChars;
  /** Where each line not yet passed starts, and whether it is blank: a ring, oldest first. */
  private long[] starts = new long[64];
  private boolean[] blank = new boolean[64];
  private int head;
  private int size;
  /** The newest line's first character is not read yet, so whether it is blank is unknown. */
  private boolean newestUnread;
  private long line;
  private boolean lineBlank;
  private long position;
  private long recordStart;
  private boolean afterCr;
  private boolean started;

  LineTrackingReader(Reader in, long maxRecordChars) {
    super(in);
    this.maxRecordChars = maxRecordChars;
    lineStart(0);
  }

  /**
   * The line of the record the parser placed at {@code charPosition}: that position's line, or
   * the first line after it that is not blank. Positions must come in increasing order. From here
   * on, the next record may grow to {@code maxRecordChars}.
   */
  long recordLine(long charPosition) {
    while (size > 0 && starts[head] <= charPosition) {
      pass();
    }
    while (lineBlank && size > 0) {
      pass();
    }
    recordStart = charPosition;
    return line;
  }

  private void pass() {
    lineBlank = blank[head];
    if (size == 1 && newestUnread) {
      newestUnread = false;
      lineBlank = false;
    }
    head = (head + 1) % starts.length;
    size--;
    line++;
  }

  @Override
  public int read() throws IOException {
    char[] one = new char[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0];
  }

  @Override
  public int read(char[] buffer, int offset, int length) throws IOException {
    int n = in.read(buffer, offset, length);
    if (n <= 0) {
      return n;
    }
    if (!started) {
      started = true;
      if (buffer[offset] == '\uFEFF') { // a UTF-8 BOM, as spreadsheets write it
        System.arraycopy(buffer, offset + 1, buffer, offset, n - 1);
        n--;
        if (n == 0) {
          return read(buffer, offset, length);
        }
      }
    }
    for (int i = offset; i < offset + n; i++) {
      char c = buffer[i];
      long at = position + (i - offset);
      if (c == '\n' && afterCr) {
        afterCr = false;
        if (size > 0) {
          starts[newest()] = at + 1; // CRLF: the line starts after the LF
        }
        continue;
      }
      if (newestUnread) {
        blank[newest()] = c == '\r' || c == '\n';
        newestUnread = false;
      }
      if (c == '\n' || c == '\r') {
        lineStart(at + 1);
      }
      afterCr = c == '\r';
    }
    position += n;
    if (position - recordStart > maxRecordChars) {
      throw new RecordTooLongException(maxRecordChars);
    }
    return n;
  }

  private int newest() {
    return (head + size - 1) % starts.length;
  }

  private void lineStart(long at) {
    if (size == starts.length) {
      long[] grownStarts = new long[starts.length * 2];
      boolean[] grownBlank = new boolean[starts.length * 2];
      for (int i = 0; i < size; i++) {
        grownStarts[i] = starts[(head + i) % starts.length];
        grownBlank[i] = blank[(head + i) % starts.length];
      }
      starts = grownStarts;
      blank = grownBlank;
      head = 0;
    }
    int slot = (head + size) % starts.length;
    starts[slot] = at;
    blank[slot] = false;
    size++;
    newestUnread = true;
  }

  /** A record (or what the parser still reads as one) longer than the limit. */
  static final class RecordTooLongException extends IOException {
    RecordTooLongException(long limit) {
      super("a record is longer than " + limit + " characters (an unterminated quote?)");
    }
  }
}
