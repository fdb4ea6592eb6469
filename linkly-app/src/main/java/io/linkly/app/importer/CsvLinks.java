package io.linkly.app.importer;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The rows of a links CSV, read one at a time from a stream (RFC 4180 through Commons CSV: quoted
 * fields with commas and line breaks, {@code ""} for a quote, CRLF or LF, blank lines skipped, a
 * UTF-8 BOM dropped). The first record is the header: it must name a {@code url} column and may
 * name a {@code code} column, in any order and case; other columns are ignored.
 *
 * <p>A row whose field count differs from the header's is malformed: a URL with an unquoted comma
 * would otherwise be imported cut short; so is a row whose code or URL is not valid UTF-8. Text
 * that is not CSV (a character after a closing quote, a quote never closed) ends the reading: the
 * parser cannot find the next record.
 */
final class CsvLinks implements Closeable {

  /** What one record holds. */
  sealed interface Row permits Link, Malformed {
    long line();
  }

  /** A row with the right shape; {@code code} is null when the row leaves it empty. */
  record Link(long line, String code, String url) implements Row {}

  record Malformed(long line, String reason) implements Row {}

  /**
   * The reading cannot go on: the text is not CSV ({@code INVALID_CSV}, at {@code line}) or the
   * stream itself failed ({@link #READ_FAILED}, no line: the parser reads ahead of its rows).
   */
  static final class UnreadableException extends Exception {
    private final String code;
    private final Long line;

    UnreadableException(String code, Long line, String message) {
      super(message, null, false, false);
      this.code = code;
      this.line = line;
    }

    String code() {
      return code;
    }

    Long line() {
      return line;
    }
  }

  static final String READ_FAILED = "READ_FAILED";

  private static final char NOT_UTF8 = '\uFFFD';
  private static final int MAX_QUOTED_HEADER = 200;
  private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();

  private final CSVParser parser;
  private final LineTrackingReader text;
  private final Iterator<CSVRecord> records;
  private final int columns;
  private final int codeColumn;
  private final int urlColumn;
  private boolean done;

  private CsvLinks(CSVParser parser, LineTrackingReader text, Iterator<CSVRecord> records, List<String> header) {
    this.parser = parser;
    this.text = text;
    this.records = records;
    this.columns = header.size();
    this.codeColumn = header.indexOf("code");
    this.urlColumn = header.indexOf("url");
  }

  /** Reads the header; an {@link InvalidCsvException} when there is none or it has no url column. */
  static CsvLinks open(InputStream in, long maxRecordChars) throws IOException {
    // Bytes that are not UTF-8 become U+FFFD, and their row is malformed: a decoding error cannot
    // stop the import where it is, since the parser reads ahead of the row it returns.
    InputStreamReader utf8 = new InputStreamReader(in, StandardCharsets.UTF_8);
    LineTrackingReader text = new LineTrackingReader(utf8, maxRecordChars);
    CSVParser parser = CSVParser.parse(text, FORMAT);
    try {
      Iterator<CSVRecord> records = parser.iterator();
      CSVRecord first;
      try {
        if (!records.hasNext()) {
          throw new InvalidCsvException("the CSV is empty: a header row naming a url column is required");
        }
        first = records.next();
      } catch (UncheckedIOException e) {
        if (!isCsvError(e.getCause())) {
          throw e; // the stream failed, not the text
        }
        throw new InvalidCsvException("the header row cannot be read: " + e.getCause().getMessage());
      }
      List<String> header = new ArrayList<>(first.size());
      for (String name : first) {
        String column = name.strip().toLowerCase(Locale.ROOT);
        if ((column.equals("code") || column.equals("url")) && header.contains(column)) {
          throw new InvalidCsvException("the header row names the " + column + " column twice");
        }
        header.add(column);
      }
      if (!header.contains("url")) {
        String found = String.join(", ", first.toList());
        if (found.length() > MAX_QUOTED_HEADER) { // the reply need not carry a megabyte of someone's header
          found = found.substring(0, MAX_QUOTED_HEADER) + "…";
        }
        throw new InvalidCsvException("the header row has no url column (it has: " + found + "); expected code,url");
      }
      return new CsvLinks(parser, text, records, header);
    } catch (RuntimeException e) {
      parser.close();
      throw e;
    }
  }

  /** The next row, or null at the end of the text and after an {@link UnreadableException}. */
  Row next() throws UnreadableException {
    if (done) {
      return null;
    }
    CSVRecord record;
    try {
      if (!records.hasNext()) {
        done = true;
        return null;
      }
      record = records.next();
    } catch (UncheckedIOException e) {
      done = true;
      IOException cause = e.getCause();
      throw isCsvError(cause)
          ? new UnreadableException(InvalidCsvException.CODE, parser.getCurrentLineNumber(), "invalid CSV: " + cause.getMessage())
          : new UnreadableException(READ_FAILED, null, "the CSV stream failed: " + cause.getMessage());
    }
    long line = text.recordLine(record.getCharacterPosition());
    if (record.size() != columns) {
      return new Malformed(
          line, "the row has " + fields(record.size()) + ", the header " + fields(columns) + " (quote a value that holds a comma)");
    }
    String code = codeColumn < 0 ? "" : record.get(codeColumn).strip();
    String url = record.get(urlColumn);
    if (code.indexOf(NOT_UTF8) >= 0 || url.indexOf(NOT_UTF8) >= 0) {
      return new Malformed(line, "the row is not valid UTF-8");
    }
    return new Link(line, code.isEmpty() ? null : code, url);
  }

  private static String fields(int n) {
    return n == 1 ? "1 field" : n + " fields";
  }

  /** The text is at fault (Commons CSV's parse errors, a record too long), not the stream. */
  private static boolean isCsvError(IOException e) {
    return e instanceof CSVException || e instanceof LineTrackingReader.RecordTooLongException;
  }

  @Override
  public void close() throws IOException {
    parser.close();
  }
}
