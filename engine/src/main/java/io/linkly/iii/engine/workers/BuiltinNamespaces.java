package io.linkly.iii.engine.workers;

import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The function ids that belong to built-in workers, whether or not the configuration starts them:
 * no worker may register one. The exception is upstream's per-stream override hook,
 * {@code stream::<op>(<stream_name>)}, which SDKs' custom streams register on purpose.
 */
public final class BuiltinNamespaces implements Predicate<String> {

  private static final List<String> NAMESPACES = List.of("engine::", "state::", "stream::", "iii::", "database::", "configuration::");
  private static final List<String> IDS = List.of("publish");
  private static final Pattern STREAM_OVERRIDE = Pattern.compile("stream::[a-z_]+\\(.+\\)");

  public static final BuiltinNamespaces STANDARD = new BuiltinNamespaces();

  private BuiltinNamespaces() {}

  @Override
  public boolean test(String id) {
    if (IDS.contains(id)) {
      return true;
    }
    for (String namespace : NAMESPACES) {
      if (id.startsWith(namespace)) {
        return !(namespace.equals("stream::") && STREAM_OVERRIDE.matcher(id).matches());
      }
    }
    return false;
  }
}
