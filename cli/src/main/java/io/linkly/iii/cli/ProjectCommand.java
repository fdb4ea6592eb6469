package io.linkly.iii.cli;

import io.linkly.iii.cli.project.Templates;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code iii project init NAME}: a new project directory with a config.yaml to add workers to. */
@Command(
    name = "project",
    mixinStandardHelpOptions = true,
    description = "Create an iii project.",
    subcommands = ProjectCommand.Init.class)
final class ProjectCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "which one? iii project init NAME");
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create directory NAME with a config.yaml (observability and queue, as upstream's default), a .gitignore and a README.")
  static final class Init implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", description = "The project's directory (created; must not exist or be empty)")
    Path dir;

    @Override
    public Integer call() throws IOException { // Main prints it as "iii: <message>", exit 1
      Templates.write("project", dir, dir.toAbsolutePath().normalize().getFileName().toString());
      System.out.println("Created project " + dir + ". Next: cd " + dir + " && iii worker add http");
      return 0;
    }
  }
}
