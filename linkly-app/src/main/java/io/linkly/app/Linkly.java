package io.linkly.app;

import io.linkly.app.analytics.AnalyticsWorker;
import io.linkly.app.api.OpenApiWorker;
import io.linkly.app.auth.BrowserAuth;
import io.linkly.app.clickstreamer.ClickStreamer;
import io.linkly.app.dashboard.DashboardWorker;
import io.linkly.app.guard.GuardSettings;
import io.linkly.app.guard.GuardWorker;
import io.linkly.app.importer.BulkImportWorker;
import io.linkly.app.importer.BulkImporter;
import io.linkly.app.link.LinkWorker;
import io.linkly.app.link.ShortCode;
import io.linkly.app.qr.QrWorker;
import io.linkly.app.stats.StatsWorker;
import io.linkly.app.upload.ImportCommand;
import io.linkly.app.visit.TrustedProxies;
import io.linkly.app.watch.ClickWatch;
import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.ConfigException;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.workers.StartupException;
import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.WorkerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * Starts Linkly: the engine on Linkly's embedded config, then every Linkly worker, each attached
 * to the engine in-process (same registry and routing as a remote worker, no socket, no JSON
 * text). Remote workers (Node, {@code iii trigger}) still connect on the worker port. {@link
 * #close} stops the workers, then the engine.
 */
public final class Linkly implements AutoCloseable {

  private final IiiEngine engine;
  private final List<Iii> connections = new ArrayList<>();
  private LinkWorker links;
  private ClickStreamer streamer;

  private Linkly(IiiEngine engine) {
    this.engine = engine;
  }

  /** Linkly's embedded engine configuration, with {@code ${VAR}} taken from {@code env}. */
  public static EngineConfig config(Function<String, String> env) throws ConfigException {
    return config(Profile.SINGLE, env);
  }

  /** The embedded configuration of {@code profile}: linkly.yaml, and for the cluster linkly-cluster.yaml over it. */
  public static EngineConfig config(Profile profile, Function<String, String> env) throws ConfigException {
    Function<String, String> withDefaults = LinklyEnvironment.withDefaults(env);
    EngineConfig config = EngineConfig.parse(resource("/linkly.yaml"), withDefaults);
    if (profile == Profile.CLUSTER) {
      config = config.overlaidWith(EngineConfig.parse(resource("/linkly-cluster.yaml"), withDefaults));
    }
    return LinklyEnvironment.withoutSqliteSettingsOnPostgres(config);
  }

  /** How Linkly's stores are laid out: one machine (the default), or several engines sharing Redis, RabbitMQ and PostgreSQL. */
  public enum Profile {
    SINGLE,
    CLUSTER;

    /** {@code single} or {@code cluster}. */
    public static Profile named(String name) {
      return switch (name) {
        case "single" -> SINGLE;
        case "cluster" -> CLUSTER;
        default -> throw new IllegalArgumentException("unknown profile '" + name + "' (expected single or cluster)");
      };
    }
  }

  /** A text file of the jar, by its absolute classpath name; a missing one is a broken build. */
  public static String resource(String name) {
    try (InputStream in = Linkly.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(name + " cannot be read from the jar", e);
    }
  }

  /**
   * The worker URL of a Linkly on this machine, for the commands that talk to a running one
   * ({@code watch}, {@code import}): {@code III_URL}, else the port {@code III_PORT} moves.
   */
  public static String engineUrlFromEnv() {
    return System.getenv().getOrDefault("III_URL", "ws://127.0.0.1:" + System.getenv().getOrDefault("III_PORT", "49134"));
  }

  public static Linkly start(EngineConfig config, Clock clock)
      throws ConfigException, StartupException, InterruptedException {
    // Linkly's own settings are checked before anything starts: a bad one stops the start at once
    Function<String, String> env = config.env() == null ? name -> null : config.env();
    GuardSettings guard = GuardSettings.fromEnv(env);
    Optional<String> publicUrl = QrWorker.publicUrl(env);
    TrustedProxies proxies = TrustedProxies.parse(env.apply(TrustedProxies.VARIABLE));
    String browserToken = BrowserAuth.token(env);
    BrowserAuth.checkExposure(env.apply("LINKLY_HOST"), browserToken);
    Linkly linkly = new Linkly(IiiEngine.start(config));
    try {
      new BrowserAuth(linkly.connect(BrowserAuth.NAME), browserToken).start();
      // before the routes that name its middleware
      new GuardWorker(linkly.connect(GuardWorker.NAME), guard, proxies).start();
      linkly.streamer = new ClickStreamer(linkly.connect(ClickStreamer.NAME));
      linkly.streamer.start();
      new AnalyticsWorker(linkly.connect(AnalyticsWorker.NAME), clock).start(Duration.ofSeconds(30));
      linkly.links = new LinkWorker(linkly.connect(LinkWorker.NAME), ShortCode.secure(), clock, proxies);
      linkly.links.start(Duration.ofSeconds(30));
      linkly.engine.metrics().counter(
          "linkly_clicks_dropped_total", "Redirects whose click could not be recorded (queue refused it)", linkly::droppedClicks);
      new BulkImportWorker(linkly.connect(BulkImporter.NAME), ShortCode.secure(), clock).start();
      new QrWorker(linkly.connect(QrWorker.NAME), publicUrl).start();
      new StatsWorker(linkly.connect(StatsWorker.NAME)).start();
      new DashboardWorker(linkly.connect(DashboardWorker.NAME), () -> linkly.browserWorkerUrl() + "/").start();
      new OpenApiWorker(linkly.connect(OpenApiWorker.NAME)).start();
    } catch (RuntimeException | InterruptedException e) {
      linkly.close();
      throw e;
    }
    return linkly;
  }

  private Iii connect(String workerName) {
    Iii iii = Iii.registerWorker(engine, WorkerOptions.builder().workerName(workerName).build());
    connections.add(iii);
    return iii;
  }

  public IiiEngine engine() {
    return engine;
  }

  /** Clicks lost because the click queue refused them (redirects were answered all the same). */
  public long droppedClicks() {
    return links == null ? 0 : links.droppedClicks();
  }

  /** The subscriber WebSocket of the clicks stream, e.g. {@code ws://127.0.0.1:3112/}. */
  public String streamUrl() {
    return "ws://127.0.0.1:" + engine.port("iii-stream").orElseThrow() + "/";
  }

  /** The browser listener dashboard tabs connect to, e.g. {@code ws://127.0.0.1:3110}. */
  public String browserWorkerUrl() {
    return engine.workerUrls().get(1);
  }

  /** The base URL of Linkly's HTTP API, e.g. {@code http://127.0.0.1:3111}. */
  public String httpUrl() {
    return "http://127.0.0.1:" + engine.port("iii-http").orElseThrow();
  }

  @Override
  public void close() {
    if (links != null) {
      links.close();
    }
    if (streamer != null) {
      streamer.close();
    }
    for (int i = connections.size() - 1; i >= 0; i--) {
      connections.get(i).shutdown();
    }
    connections.clear();
    engine.close();
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("watch")) {
      ClickWatch.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("import")) {
      System.exit(ImportCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
      return;
    }
    Profile profile = Profile.SINGLE;
    if (args.length == 2 && args[0].equals("--profile")) {
      try {
        profile = Profile.named(args[1]);
      } catch (IllegalArgumentException e) {
        System.err.println("linkly: " + e.getMessage());
        System.exit(2);
        return;
      }
      args = new String[0];
    }
    if (args.length > 0) {
      System.err.println("usage: linkly                  start the engine and every Linkly worker\n"
          + "       linkly --profile cluster  the same, with state, streams and pub/sub on Redis, the click\n"
          + "                               queue on RabbitMQ and the databases on PostgreSQL\n"
          + "       linkly watch            follow clicks live (ws://127.0.0.1:3112/)\n"
          + "       linkly import FILE.csv  bulk-import code,url rows into a running Linkly");
      System.exit(2);
    }
    Linkly linkly;
    try {
      linkly = start(config(profile, System::getenv), Clock.systemUTC());
    } catch (ConfigException e) {
      System.err.println("linkly: config error: " + e.getMessage());
      System.exit(2);
      return;
    } catch (StartupException e) {
      // the message names the worker and the key or file; a stack trace would bury it
      System.err.println("linkly: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.err.println("Linkly is up: POST " + linkly.httpUrl() + "/links, GET " + linkly.httpUrl() + "/s/<code>");
    System.err.println("Dashboard: " + linkly.httpUrl() + "/");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  linkly.close();
                  stopped.countDown();
                },
                "linkly-shutdown"));
    stopped.await();
  }
}
