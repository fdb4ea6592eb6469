import io.linkly.iii.sdk.Iii;
import io.linkly.iii.sdk.WorkerOptions;
import java.util.Map;

/** The {{name}} worker: registers its functions, then serves calls until iii stops it. */
public class Worker {

  public static void main(String[] args) throws InterruptedException {
    String url = System.getenv().getOrDefault("III_URL", "ws://localhost:49134"); // injected by iii
    Iii iii = Iii.registerWorker(url, WorkerOptions.builder().workerName("{{name}}").build());
    iii.registerFunction("{{name}}::hello", (data, ctx) -> {
      String name = data.path("name").asText("world");
      iii.logger().info("said hello", Map.of("name", name));
      return Map.of("message", "hello, " + name);
    });
    System.out.println("{{name}} worker ready");
    Thread.currentThread().join(); // serve until stopped
  }
}
