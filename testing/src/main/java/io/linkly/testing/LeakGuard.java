package io.linkly.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked resource (a buffer never released, a timer never
 * stopped) while it ran. Registered for every test
 * class by JUnit's extension autodetection (see this module's {@code junit-platform.properties});
 * it turns Netty's leak detection to paranoid, so every buffer is tracked. A leak is only noticed
 * once the garbage collector has found the lost buffer, so after each class the guard collects
 * garbage and makes the detectors look.
 */
public final class LeakGuard implements AfterAllCallback {

  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  static {
    // before any detector exists: tests load this extension before they touch Netty
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    for (int round = 0; round < 3; round++) {
      System.gc();
      Thread.sleep(50);
      // the detectors look at collected buffers when the next buffer is tracked
      for (int i = 0; i < 64; i++) {
        ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(1);
        probe.release();
        ByteBuf heap = ByteBufAllocator.DEFAULT.heapBuffer(1);
        heap.release();
      }
    }
    if (!LEAKS.isEmpty()) {
      List<String> found = List.copyOf(LEAKS);
      LEAKS.clear();
      throw new AssertionError(found.size() + " Netty resource leak(s) reported while "
          + context.getDisplayName() + " ran:\n" + String.join("\n\n", found));
    }
  }

  /** Detectors that also keep what they report, so the guard can fail the class. */
  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval, long maxActive) {
      return new ResourceLeakDetector<>(resource, samplingInterval) {
        @Override
        protected void reportTracedLeak(String resourceType, String records) {
          LEAKS.add("LEAK of " + resourceType + ":" + records);
          super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
          LEAKS.add("LEAK of " + resourceType + " (untraced)");
          super.reportUntracedLeak(resourceType);
        }
      };
    }
  }
}
