package io.linkly.iii.engine.testing;

import io.linkly.iii.engine.workers.FileChannels;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * A disk that can be made to fail: every file the store opens through it writes and forces
 * normally until {@link #fail} is called, and then throws "No space left on device" until
 * {@link #heal}. Reads always work. Root ignores file permissions, so a test cannot make a real
 * file unwritable; this can.
 */
public final class FailingDisk implements FileChannels {

  private volatile boolean failing;

  public void fail() {
    failing = true;
  }

  public void heal() {
    failing = false;
  }

  @Override
  public FileChannel open(Path file, OpenOption... options) throws IOException {
    check();
    return new DelegatingFileChannel(FileChannel.open(file, options), new DelegatingFileChannel.Hooks() {
      @Override
      public void beforeWrite() throws IOException {
        check();
      }

      @Override
      public void beforeForce() throws IOException {
        check();
      }
    });
  }

  private void check() throws IOException {
    if (failing) {
      throw new IOException("No space left on device");
    }
  }
}
