package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkly.testing.JvmRun;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ./linkly} on a machine that cannot give it what it needs: one line on stderr naming the
 * worker and the key or path, exit code 2, no stack trace, as {@code ./iii} does.
 */
class LinklyStartupErrorsTest {

  @TempDir Path data;
  @TempDir Path workDir;

  private JvmRun linkly(Map<String, String> env) throws Exception {
    return JvmRun.of(List.of("-Dlogback.configurationFile=logback-child.xml"), Linkly.class, List.of(), env, workDir);
  }

  /** The variable that moves a port, the worker that listens there, and its entry in linkly.yaml. */
  @ParameterizedTest
  @CsvSource({"III_PORT, iii-worker-manager, 0", "LINKLY_HTTP_PORT, iii-http, 1", "LINKLY_STREAM_PORT, iii-stream, 6"})
  void aPortInUseNamesTheWorkerTheAddressAndTheKey(String variable, String worker, int entry) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Map<String, String> env = new HashMap<>(LinklyFixture.env(data));
      env.put(variable, Integer.toString(port));

      JvmRun run = linkly(env);

      assertThat(run.exitCode()).as(run.transcript()).isEqualTo(2);
      assertThat(run.said())
          .as(run.transcript())
          .containsExactly(
              "linkly: " + worker + " cannot listen on 127.0.0.1:" + port + " (workers[" + entry
                  + "].config.port: address already in use)");
      assertThat(run.loggedProblems()).as(run.transcript()).isEmpty();
    }
  }
}
