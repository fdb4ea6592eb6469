package io.linkly.iii.engine.workers;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * How the durable stores open their files. Production opens them as they are; a test hands in
 * channels that fail on demand, to show that a store recovers from a disk error by itself.
 */
@FunctionalInterface
public interface FileChannels {

  FileChannels DEFAULT = FileChannel::open;

  FileChannel open(Path file, OpenOption... options) throws IOException;
}
