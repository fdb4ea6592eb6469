package io.linkly.iii.cli.project;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The files {@code iii project init} and {@code iii worker init} write, from this jar's resources. */
public final class Templates {

  /** Template files per kind: resource path under {@code templates/KIND/} → the file written. */
  private static final Map<String, List<String[]>> FILES = Map.of(
      "project", List.of(new String[] {"config.yaml", "config.yaml"}, new String[] {"gitignore", ".gitignore"},
          new String[] {"README.md", "README.md"}),
      "typescript", List.of(new String[] {"iii.worker.yaml", "iii.worker.yaml"}, new String[] {"package.json", "package.json"},
          new String[] {"tsconfig.json", "tsconfig.json"}, new String[] {"src/index.ts", "src/index.ts"}),
      "java", List.of(new String[] {"iii.worker.yaml", "iii.worker.yaml"}, new String[] {"pom.xml", "pom.xml"},
          new String[] {"src/main/java/Worker.java", "src/main/java/Worker.java"}));

  private Templates() {}

  public static boolean has(String kind) {
    return FILES.containsKey(kind);
  }

  /**
   * Writes {@code kind}'s files into {@code dir} with {@code {{name}}} replaced.
   *
   * @throws IOException when {@code dir} exists and is not empty: nothing is overwritten
   */
  public static void write(String kind, Path dir, String name) throws IOException {
    if (Files.exists(dir) && (!Files.isDirectory(dir) || hasEntries(dir))) {
      throw new IOException(dir + " already exists and is not empty");
    }
    for (String[] file : FILES.get(kind)) {
      String resource = "/templates/" + kind + "/" + file[0];
      try (InputStream in = Templates.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IOException("missing template " + resource);
        }
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{{name}}", name);
        Path target = dir.resolve(file[1]);
        Files.createDirectories(target.getParent());
        Files.writeString(target, text);
      }
    }
  }

  private static boolean hasEntries(Path dir) throws IOException {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isPresent();
    }
  }
}
