package io.linkly.iii.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class UuidsTest {

  @Test
  void timeOrderedIdsAreVersion7SortByTimeAndDoNotRepeat() {
    List<String> ids = new ArrayList<>();
    for (long ms = 1_700_000_000_000L; ms < 1_700_000_000_100L; ms++) {
      for (int i = 0; i < 100; i++) {
        ids.add(Uuids.timeOrdered(ms).toString());
      }
    }
    UUID first = UUID.fromString(ids.get(0));
    assertThat(first.version()).isEqualTo(7);
    assertThat(first.variant()).isEqualTo(2);
    assertThat(first.getMostSignificantBits() >>> 16).isEqualTo(1_700_000_000_000L);
    assertThat(Uuids.parseStrict(ids.get(0))).isEqualTo(first);
    assertThat(new HashSet<>(ids)).hasSize(ids.size());
    // text order follows time order across milliseconds
    for (int i = 100; i < ids.size(); i += 100) {
      assertThat(ids.get(i).compareTo(ids.get(i - 1))).as("id %d", i).isPositive();
    }
  }
}
