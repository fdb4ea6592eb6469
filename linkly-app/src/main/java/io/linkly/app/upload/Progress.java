package io.linkly.app.upload;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The upload's progress: on a terminal one line redrawn in place (bytes, rows/s, ETA), elsewhere
 * (a log, CI) a plain line at every 10 %, so the output stays readable when it is not a screen.
 */
final class Progress {

  private static final long REDRAW_NANOS = 200_000_000L;

  private final PrintStream out;
  private final long totalBytes;
  private final boolean terminal;
  private final long startNanos = System.nanoTime();
  private long lastDrawNanos;
  private int lastDecile = -1;

  Progress(PrintStream out, long totalBytes, boolean terminal) {
    this.out = out;
    this.totalBytes = totalBytes;
    this.terminal = terminal;
  }

  void update(long bytes, long rows) {
    long now = System.nanoTime();
    if (terminal) {
      if (now - lastDrawNanos >= REDRAW_NANOS || bytes == totalBytes) {
        lastDrawNanos = now;
        out.print("\r" + line(bytes, rows, now) + "   ");
        out.flush();
      }
      return;
    }
    int decile = totalBytes == 0 ? 10 : (int) (bytes * 10 / totalBytes);
    if (decile > lastDecile) {
      lastDecile = decile;
      out.println(line(bytes, rows, now));
    }
  }

  void done() {
    if (terminal) {
      out.println();
    }
  }

  private String line(long bytes, long rows, long now) {
    double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
    double bytesPerSecond = bytes / seconds;
    int percent = totalBytes == 0 ? 100 : (int) (bytes * 100 / totalBytes);
    String eta = bytes == 0 || bytes >= totalBytes ? "--" : String.format(Locale.ROOT, "%.0fs", (totalBytes - bytes) / bytesPerSecond);
    return String.format(
        Locale.ROOT, "%3d%%  %s / %s  %,.0f rows/s  ETA %s", percent, size(bytes), size(totalBytes), rows / seconds, eta);
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
