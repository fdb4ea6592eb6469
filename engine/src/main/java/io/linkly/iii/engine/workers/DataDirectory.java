package io.linkly.iii.engine.workers;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a store can keep its files in a directory, checked before the store opens them. A store
 * would fail too, but with whatever its first file operation throws, such as a bare path in a
 * {@code FileAlreadyExistsException}; this says which path is wrong and why, in a user's words.
 */
public final class DataDirectory {

  private DataDirectory() {}

  /**
   * Creates {@code dir} when missing and proves that files can be created in it. Returns why it
   * cannot hold a store's files (naming the path at fault), or empty when it can.
   */
  public static Optional<String> problem(Path dir) {
    Path absolute = dir.toAbsolutePath().normalize();
    for (Path p = absolute; p != null; p = p.getParent()) {
      if (Files.isDirectory(p)) {
        break;
      }
      if (Files.exists(p)) {
        return Optional.of(p + " is not a directory");
      }
    }
    try {
      Files.createDirectories(absolute);
    } catch (IOException e) {
      return Optional.of(absolute + " cannot be created (" + reason(e) + ")");
    }
    // Permissions alone do not tell (ACLs, read-only mounts, root): try what the store will do.
    try {
      Files.delete(Files.createTempFile(absolute, ".write-check-", ".tmp"));
    } catch (IOException e) {
      return Optional.of(absolute + " is not writable (" + reason(e) + ")");
    }
    return Optional.empty();
  }

  /**
   * Throws when {@code dir} cannot hold {@code worker}'s files, naming {@code used} (the directory,
   * or the file in it that the worker opens) and the config {@code key} that chose it.
   */
  public static void require(String worker, Path dir, Path used, String key) throws StartupException {
    Optional<String> problem = problem(dir);
    if (problem.isPresent()) {
      throw StartupException.cannotUse(worker, used, key, problem.get());
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      String reason = f.getReason();
      return Character.toLowerCase(reason.charAt(0)) + reason.substring(1);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
