package io.linkly.iii.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was outside this JVM during a step (Linux {@code /proc}): busy cores overall
 * minus the cores this process used. On a shared build machine this tells a noisy step from a
 * slow system. During the Redis anchor it includes redis-server itself.
 */
final class CpuMeter {

  private static final double TICKS_PER_SECOND = 100; // USER_HZ on every Linux we run on

  private long machineBusy;
  private long own;
  private long at;
  private final boolean available;

  CpuMeter() {
    available = Files.isReadable(Path.of("/proc/stat")) && Files.isReadable(Path.of("/proc/self/stat"));
    reset();
  }

  void reset() {
    if (!available) {
      return;
    }
    machineBusy = machineBusyTicks();
    own = ownTicks();
    at = System.nanoTime();
  }

  /** Cores used by other processes since {@link #reset}, averaged over the interval; NaN if unknown. */
  double othersCores() {
    if (!available) {
      return Double.NaN;
    }
    double seconds = (System.nanoTime() - at) / 1e9;
    long others = (machineBusyTicks() - machineBusy) - (ownTicks() - own);
    return Math.max(0, others / TICKS_PER_SECOND / seconds);
  }

  /** Cores this process used since {@link #reset}. */
  double ownCores() {
    if (!available) {
      return Double.NaN;
    }
    double seconds = (System.nanoTime() - at) / 1e9;
    return (ownTicks() - own) / TICKS_PER_SECOND / seconds;
  }

  private static long machineBusyTicks() {
    try {
      String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0); // cpu user nice system idle iowait irq softirq steal ...
      String[] f = cpu.trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        total += Long.parseLong(f[i]);
      }
      return total - Long.parseLong(f[4]) - Long.parseLong(f[5]);
    } catch (Exception e) {
      return 0;
    }
  }

  private static long ownTicks() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    } catch (Exception e) {
      return 0;
    }
  }
}
