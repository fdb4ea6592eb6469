package io.linkly.iii.engine.channels;

/**
 * The producing side of a {@link DataChannel}: a {@code dir=write} socket, or an engine worker that
 * writes the channel itself (iii-http streaming a request body). Every method is called with the
 * channel's lock held and must not block.
 */
public interface WriterEnd {

  /** The channel's buffer is full: stop producing until {@link #resume}. */
  void pause();

  void resume();

  /** Nobody will read what comes next (the reader went away, the channel expired): stop for good. */
  void cutOff(String reason);
}
