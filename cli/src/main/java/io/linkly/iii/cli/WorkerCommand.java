package io.linkly.iii.cli;

import io.linkly.iii.cli.project.LockFile;
import io.linkly.iii.cli.project.ProjectFile;
import io.linkly.iii.cli.project.Templates;
import io.linkly.iii.cli.project.WorkerManifest;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.EngineVersion;
import io.linkly.iii.engine.workers.BuiltinWorkers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code iii worker init|add|remove|list}: the workers of the project whose {@code config.yaml}
 * is in the current directory (or {@code --config}). Built-ins are added by name ({@code http},
 * {@code state} … or their {@code iii-} names) and locked in {@code iii.lock}; a directory of your
 * own ({@code ./link}) is added with its {@code worker_path}, and {@code iii} starts it. A file
 * that cannot be read or written ends a command with its {@link IOException}, which {@link Main}
 * prints as {@code iii: <message>} with exit code 1.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = "Add, remove, list or scaffold the workers of a project.",
    subcommands = {WorkerCommand.Init.class, WorkerCommand.Add.class, WorkerCommand.Remove.class, WorkerCommand.ListWorkers.class})
final class WorkerCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "which one? iii worker init|add|remove|list");
  }

  /** The project a command edits: its config.yaml, which must exist. */
  static final class Project {
    @Option(names = {"-c", "--config"}, defaultValue = "config.yaml", description = "The project's config file (default: ${DEFAULT-VALUE})")
    Path config;

    ProjectFile file() throws IOException {
      ProjectFile file = new ProjectFile(config);
      if (!file.exists()) {
        throw new IOException(config + ": no such file (iii project init NAME creates a project)");
      }
      return file;
    }

    Path dir() {
      Path parent = config.toAbsolutePath().getParent();
      return parent == null ? Path.of(".") : parent;
    }
  }

  /** Names {@code iii worker add} takes for built-ins: the registry names and every built-in's own. */
  static Set<String> builtinNames() {
    Set<String> names = new TreeSet<>(EngineConfig.REGISTRY_NAMES.keySet());
    names.addAll(BuiltinWorkers.standard().names());
    return names;
  }

  static boolean isPath(String target) {
    return target.startsWith("./") || target.startsWith("../") || target.startsWith("/") || target.equals(".");
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add a built-in worker by name (http, state, queue, pubsub, cron, iii-stream, database, ...) or a local worker directory (./DIR with an iii.worker.yaml).")
  static final class Add implements Callable<Integer> {

    @Parameters(paramLabel = "NAME|./DIR", description = "A built-in's name, or a directory holding iii.worker.yaml")
    String target;

    @Option(names = "--force", description = "Replace an entry of the same name")
    boolean force;

    @picocli.CommandLine.Mixin Project project;

    @Override
    public Integer call() throws IOException {
      ProjectFile file = project.file();
      String name;
      String workerPath = null;
      if (isPath(target)) {
        Path dir = project.dir().resolve(target).normalize();
        name = WorkerManifest.read(dir).name();
        Path relative = project.dir().toAbsolutePath().normalize().relativize(dir.toAbsolutePath());
        workerPath = relative.toString().isEmpty() ? "." : relative.startsWith("..") ? dir.toString() : "./" + relative;
      } else if (builtinNames().contains(target)) {
        name = target;
      } else {
        System.err.println("iii: unknown worker '" + target + "': built-in workers are " + String.join(", ", builtinNames())
            + "; a worker of your own is added by its directory, e.g. ./" + target);
        return 1;
      }
      boolean present = file.entries().stream().anyMatch(e -> e.name().equals(name));
      if (present && !force) {
        System.err.println("iii: worker '" + name + "' is already in " + file.path() + " (--force replaces it)");
        return 1;
      }
      if (present) {
        file.remove(name);
      }
      file.append(name, workerPath);
      if (workerPath == null) {
        LockFile lock = LockFile.in(project.dir());
        lock.put(name, new LockFile.Locked(EngineVersion.VERSION, "engine"));
        lock.save();
        System.out.println("Added " + name + " (built into the engine) to " + file.path() + "; locked in " + LockFile.NAME);
      } else {
        System.out.println("Added " + name + " (" + workerPath + ") to " + file.path() + "; iii starts it with the engine");
      }
      return 0;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a worker from the project.")
  static final class Remove implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", description = "The worker's name as config.yaml lists it")
    String name;

    @picocli.CommandLine.Mixin Project project;

    @Override
    public Integer call() throws IOException {
      ProjectFile file = project.file();
      if (!file.remove(name)) {
        System.err.println("iii: no worker '" + name + "' in " + file.path());
        return 1;
      }
      LockFile lock = LockFile.in(project.dir());
      if (lock.remove(name)) {
        lock.save();
      }
      System.out.println("Removed " + name + " from " + file.path());
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's workers.")
  static final class ListWorkers implements Callable<Integer> {

    @picocli.CommandLine.Mixin Project project;

    @Override
    public Integer call() throws IOException {
      Map<String, LockFile.Locked> locked = LockFile.in(project.dir()).workers();
      for (ProjectFile.Entry entry : project.file().entries()) {
        String kind = entry.workerPath() != null
            ? "local   " + entry.workerPath()
            : "engine  " + (locked.containsKey(entry.name()) ? locked.get(entry.name()).version() : "");
        System.out.printf("%-24s %s%n", entry.name(), kind.strip());
      }
      return 0;
    }
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create a worker directory NAME with an iii.worker.yaml and a starting point in TypeScript (iii-sdk) or Java (this SDK).")
  static final class Init implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", description = "The worker's name and directory")
    String name;

    @Option(names = {"-l", "--language"}, required = true, description = "typescript or java")
    String language;

    @Override
    public Integer call() throws IOException {
      String kind = switch (language.toLowerCase(java.util.Locale.ROOT)) {
        case "typescript", "ts" -> "typescript";
        case "java" -> "java";
        default -> null;
      };
      if (kind == null) {
        System.err.println("iii: --language " + language + ": this iii scaffolds typescript or java workers");
        return 1;
      }
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
        System.err.println("iii: worker name '" + name + "' must be letters, digits, '.', '_' or '-'");
        return 1;
      }
      Templates.write(kind, Path.of(name), name);
      System.out.println("Created " + kind + " worker " + name + ". Next: iii worker add ./" + name);
      return 0;
    }
  }
}
