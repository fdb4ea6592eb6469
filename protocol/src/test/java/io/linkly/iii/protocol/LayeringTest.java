package io.linkly.iii.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering of DESIGN.md §2, checked on the sources of the whole reactor (this module is built
 * first, so an upward import fails the build early): a module's main code names only packages of
 * the modules below it, the module graph has no cycle, and the engine's core names no built-in
 * worker. "Names" means any {@code io.linkly…} reference in a main source file — an import, a
 * fully qualified name or a {@code @link} — not only import lines.
 */
class LayeringTest {

  /** Each module with main code, and the modules its main code may use (as in the poms, transitively). */
  private static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

  static {
    ALLOWED.put("testing", Set.of());
    ALLOWED.put("protocol", Set.of());
    ALLOWED.put("engine", Set.of("protocol"));
    ALLOWED.put("sdk", Set.of("protocol"));
    ALLOWED.put("cli", Set.of("protocol", "engine", "sdk"));
    ALLOWED.put("linkly-app", Set.of("protocol", "engine", "sdk", "cli"));
    ALLOWED.put("bench", Set.of("protocol", "engine", "sdk"));
  }

  /** Which module owns a package, by its prefix. */
  private static final Map<String, String> OWNER = new LinkedHashMap<>();

  static {
    OWNER.put("io.linkly.testing", "testing");
    OWNER.put("io.linkly.iii.protocol", "protocol");
    OWNER.put("io.linkly.iii.engine", "engine");
    OWNER.put("io.linkly.iii.sdk", "sdk");
    OWNER.put("io.linkly.iii.cli", "cli");
    OWNER.put("io.linkly.iii.bench", "bench");
    OWNER.put("io.linkly.app", "linkly-app");
  }

  private static final Pattern REFERENCE = Pattern.compile("\\bio\\.linkly(?:\\.[a-z_][a-z0-9_]*)+");
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @Test
  void everyModuleWithMainCodeIsInTheLayering() throws IOException {
    Set<String> withMain = new TreeSet<>();
    Matcher m = MODULE.matcher(Files.readString(ROOT.resolve("pom.xml")));
    while (m.find()) {
      if (Files.isDirectory(ROOT.resolve(m.group(1)).resolve("src/main/java"))) {
        withMain.add(m.group(1));
      }
    }
    assertThat(withMain).as("modules of the parent pom with src/main/java").isNotEmpty();
    assertThat(ALLOWED.keySet()).as("add a new module to ALLOWED and OWNER").containsAll(withMain);
  }

  @Test
  void noModuleUsesAModuleAboveIt() {
    List<String> violations = new ArrayList<>();
    for (String module : ALLOWED.keySet()) {
      forEachReference(module, (file, pkg) -> {
        String owner = owner(pkg);
        if (owner == null) {
          violations.add(file + ": " + pkg + " belongs to no known module (add it to OWNER)");
        } else if (!owner.equals(module) && !ALLOWED.get(module).contains(owner)) {
          violations.add(file + ": " + module + " uses " + pkg + " of " + owner);
        }
      });
    }
    assertThat(violations).as("upward or sideways references").isEmpty();
  }

  @Test
  void theModuleGraphHasNoCycle() {
    Map<String, Set<String>> used = new LinkedHashMap<>();
    for (String module : ALLOWED.keySet()) {
      Set<String> targets = new TreeSet<>();
      forEachReference(module, (file, pkg) -> {
        String owner = owner(pkg);
        if (owner != null && !owner.equals(module)) {
          targets.add(owner);
        }
      });
      used.put(module, targets);
    }
    for (String module : used.keySet()) {
      assertThat(pathBack(used, module, module, new HashSet<>())).as("a cycle through " + module).isNull();
    }
    for (String module : ALLOWED.keySet()) {
      assertThat(pathBack(ALLOWED, module, module, new HashSet<>())).as("ALLOWED has a cycle through " + module).isNull();
    }
  }

  @Test
  void theEngineCoreKnowsNoBuiltinWorker() {
    List<String> violations = new ArrayList<>();
    Path core = ROOT.resolve("engine/src/main/java/io/linkly/iii/engine/core");
    forEachReference(core, (file, pkg) -> {
      if (pkg.startsWith("io.linkly.iii.engine.workers")) {
        violations.add(file + ": " + pkg);
      }
    });
    assertThat(violations).as("engine core referring to a built-in (DESIGN.md §2)").isEmpty();
  }

  /** A path from {@code from} back to {@code target} (so a cycle), or null. */
  private static List<String> pathBack(Map<String, Set<String>> graph, String from, String target, Set<String> seen) {
    for (String next : graph.getOrDefault(from, Set.of())) {
      if (next.equals(target)) {
        return new ArrayList<>(List.of(from, next));
      }
      if (seen.add(next)) {
        List<String> rest = pathBack(graph, next, target, seen);
        if (rest != null) {
          rest.add(0, from);
          return rest;
        }
      }
    }
    return null;
  }

  private static String owner(String pkg) {
    for (Map.Entry<String, String> e : OWNER.entrySet()) {
      if (pkg.equals(e.getKey()) || pkg.startsWith(e.getKey() + ".")) {
        return e.getValue();
      }
    }
    return null;
  }

  private interface ReferenceSink {
    void accept(Path file, String pkg);
  }

  private static void forEachReference(String module, ReferenceSink sink) {
    Path main = ROOT.resolve(module).resolve("src/main/java");
    assertThat(main).as(module + " main sources").isDirectory();
    forEachReference(main, sink);
  }

  private static void forEachReference(Path dir, ReferenceSink sink) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        for (String line : Files.readAllLines(file)) {
          if (line.startsWith("package ")) {
            continue;
          }
          Matcher m = REFERENCE.matcher(line);
          while (m.find()) {
            sink.accept(ROOT.relativize(file), m.group());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
