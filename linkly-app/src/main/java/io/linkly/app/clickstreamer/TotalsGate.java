package io.linkly.app.clickstreamer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Decides, for each streamed click, whether its increment of the link's total is applied now, held
 * until a seed is written, or dropped because the seed counted it already. No I/O happens here.
 *
 * <p>A seed is a snapshot of the clicks table up to row id {@code upTo}, written to the totals as
 * absolute values. Two orders would make it wrong: an increment for a click inside the snapshot
 * landing after the seed (counted twice), or one for a click outside it landing before the seed
 * (overwritten, lost). So while a seed runs, increments are held (bounded); a seed starts only once
 * no increment is on its way, so the snapshot, taken afterwards, holds every click already
 * counted; and when the seed is written the held clicks outside the snapshot ({@code rowId >
 * upTo}) are released, those inside it dropped. After that, a click inside the last snapshot
 * (the reconciler streaming an old row, say) is never counted again.
 */
final class TotalsGate {

  /** A click whose item was just created on the stream; {@code rowId} -1 when its row id is unknown. */
  record Click(String code, String clickedAt, long rowId) {}

  enum Admission {
    /** Apply the increment now, then call {@link #counted}. */
    COUNT,
    /** A seed is running: the click waits for {@link #endSeed} (or was dropped past the bound, see {@link #takeOverflow}). */
    HELD,
    /** The last seed counted it already. */
    IN_SEED
  }

  private final int maxHeld;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition noneInFlight = lock.newCondition();
  // guarded by lock
  private boolean seeding = true; // until the first seed is written, nothing is known to count from
  private long seededUpTo = -1;
  private int inFlight;
  private List<Click> held = new ArrayList<>();
  private boolean overflowed;

  TotalsGate(int maxHeld) {
    this.maxHeld = maxHeld;
  }

  Admission admit(Click click) {
    lock.lock();
    try {
      if (seeding) {
        if (held.size() < maxHeld) {
          held.add(click);
        } else {
          overflowed = true; // the increment is lost; the next seed counts the click from its row
        }
        return Admission.HELD;
      }
      if (click.rowId() >= 0 && click.rowId() <= seededUpTo) {
        return Admission.IN_SEED;
      }
      inFlight++;
      return Admission.COUNT;
    } finally {
      lock.unlock();
    }
  }

  /** An increment {@link #admit} let through has been applied, or has failed. */
  void counted() {
    lock.lock();
    try {
      if (--inFlight == 0) {
        noneInFlight.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Holds every increment from now on, and waits until none is on its way. */
  void beginSeed() throws InterruptedException {
    lock.lock();
    try {
      seeding = true;
      while (inFlight > 0) {
        noneInFlight.await();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The seed of every click up to row {@code upTo} is written: increments flow again, and the held
   * clicks the seed did not count are returned, for the caller to apply.
   */
  List<Click> endSeed(long upTo) {
    lock.lock();
    try {
      List<Click> late = new ArrayList<>();
      for (Click c : held) {
        if (c.rowId() < 0 || c.rowId() > upTo) {
          late.add(c);
        }
      }
      held = new ArrayList<>();
      seededUpTo = upTo;
      seeding = false;
      return late;
    } finally {
      lock.unlock();
    }
  }

  /** True once after clicks were dropped for want of room while a seed ran: another seed counts them. */
  boolean takeOverflow() {
    lock.lock();
    try {
      boolean was = overflowed;
      overflowed = false;
      return was;
    } finally {
      lock.unlock();
    }
  }

  int heldCount() {
    lock.lock();
    try {
      return held.size();
    } finally {
      lock.unlock();
    }
  }
}
