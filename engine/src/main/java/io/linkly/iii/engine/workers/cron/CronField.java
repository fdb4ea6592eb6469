package io.linkly.iii.engine.workers.cron;

import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The seven fields of a cron expression with the bounds, names and error texts of the Rust
 * {@code cron} 0.15 crate that upstream iii uses, so an expression means the same here and there.
 * Day of week runs 1–7 with Sunday = 1; years 1970–2100.
 */
enum CronField {
  SECONDS("Seconds", 0, 59),
  MINUTES("Minutes", 0, 59),
  HOURS("Hours", 0, 23),
  DAYS_OF_MONTH("Days of Month", 1, 31),
  MONTHS("Months", 1, 12),
  DAYS_OF_WEEK("Days of Week", 1, 7),
  YEARS("Years", 1970, 2100);

  /** A field that names an impossible value; the message is the crate's. */
  static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  private final String title;
  final int min;
  final int max;

  CronField(String title, int min, int max) {
    this.title = title;
    this.min = min;
    this.max = max;
  }

  BitSet all() {
    BitSet all = new BitSet(max + 1);
    all.set(min, max + 1);
    return all;
  }

  BitSet only(int value) {
    BitSet one = new BitSet(max + 1);
    one.set(value);
    return one;
  }

  /** The values a field's parts select, each checked against the bounds. */
  BitSet values(List<CronSpecifier> parts) throws Invalid {
    if (parts.size() == 1 && parts.get(0) instanceof CronSpecifier.All) {
      return all();
    }
    BitSet values = new BitSet(max + 1);
    for (CronSpecifier part : parts) {
      for (long value : candidates(part)) {
        values.set((int) checked(value));
      }
    }
    return values;
  }

  /** A part's values, smallest first, not yet checked (the crate checks them in that order). */
  private TreeSet<Long> candidates(CronSpecifier part) throws Invalid {
    return switch (part) {
      case CronSpecifier.Period period -> {
        if (period.step() == 0) {
          throw new Invalid("range step cannot be zero");
        }
        if (period.step() > max) {
          throw new Invalid(title + " must be between 1 and " + max + ". ('" + period.step() + "' specified.)");
        }
        TreeSet<Long> base =
            period.start() instanceof CronSpecifier.Point from ? span(checked(from.value()), max) : candidates(period.start());
        TreeSet<Long> every = new TreeSet<>();
        int index = 0;
        for (long value : base) {
          if (index++ % period.step() == 0) {
            every.add(value);
          }
        }
        yield every;
      }
      case CronSpecifier.All all -> span(min, max);
      case CronSpecifier.Point point -> span(point.value(), point.value());
      case CronSpecifier.NamedPoint named -> span(byName(named.name()), byName(named.name()));
      case CronSpecifier.Range range -> {
        if (!inBounds(range.start()) || !inBounds(range.end()) || range.start() > range.end()) {
          throw new Invalid("Invalid range for " + title + ": " + range.start() + "-" + range.end());
        }
        yield span(range.start(), range.end());
      }
      case CronSpecifier.NamedRange range -> {
        long start = byName(range.start());
        long end = byName(range.end());
        if (start > end) {
          throw new Invalid("Invalid named range for " + title + ": " + range.start() + "-" + range.end());
        }
        yield span(start, end);
      }
    };
  }

  private boolean inBounds(long value) {
    return value >= min && value <= max;
  }

  private long checked(long value) throws Invalid {
    if (value < min) {
      throw new Invalid(title + " must be greater than or equal to " + min + ". ('" + value + "' specified.)");
    }
    if (value > max) {
      // sic: the crate says "less than" and means "at most"
      throw new Invalid(title + " must be less than " + max + ". ('" + value + "' specified.)");
    }
    return value;
  }

  private static TreeSet<Long> span(long from, long to) {
    TreeSet<Long> values = new TreeSet<>();
    for (long v = from; v <= to; v++) {
      values.add(v);
    }
    return values;
  }

  /** Month and day names as the crate knows them, in any case; other fields take none. */
  private long byName(String name) throws Invalid {
    String n = name.toLowerCase(Locale.ROOT);
    return switch (this) {
      case MONTHS -> switch (n) {
        case "jan", "january" -> 1;
        case "feb", "february" -> 2;
        case "mar", "march" -> 3;
        case "apr", "april" -> 4;
        case "may" -> 5;
        case "jun", "june" -> 6;
        case "jul", "july" -> 7;
        case "aug", "august" -> 8;
        case "sep", "september" -> 9;
        case "oct", "october" -> 10;
        case "nov", "november" -> 11;
        case "dec", "december" -> 12;
        default -> throw new Invalid("'" + name + "' is not a valid month name.");
      };
      case DAYS_OF_WEEK -> switch (n) {
        case "sun", "sunday" -> 1;
        case "mon", "monday" -> 2;
        case "tue", "tues", "tuesday" -> 3;
        case "wed", "wednesday" -> 4;
        case "thu", "thurs", "thursday" -> 5;
        case "fri", "friday" -> 6;
        case "sat", "saturday" -> 7;
        default -> throw new Invalid("'" + name + "' is not a valid day of the week.");
      };
      default -> throw new Invalid("The '" + title + "' field does not support using names. '" + name + "' specified.");
    };
  }
}
