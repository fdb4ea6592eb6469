package io.linkly.iii.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.app.Linkly;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.protocol.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tutorial's own Node uploader (LINKLY.md Ch. 6 and S9), unchanged, against Linkly's Java
 * bulk-importer: the CSV crosses a data channel from iii-sdk@0.22.1 to the Java SDK.
 */
class TutorialUploaderIT {

  @TempDir Path data;
  private Linkly linkly;

  @BeforeAll
  static void nodeIsAvailable() {
    NodeRuntime.require();
  }

  @BeforeEach
  void start() throws Exception {
    Map<String, String> env = Map.of("III_PORT", "0", "LINKLY_HTTP_PORT", "0", "LINKLY_STREAM_PORT", "0", "LINKLY_BROWSER_PORT", "0", "LINKLY_DATA", data.toString());
    linkly = Linkly.start(Linkly.config(env::get), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    linkly.close();
  }

  private String resolve(String code) throws Exception {
    JsonNode url = linkly.engine().core().invoke(Call.of("link::resolve", Json.object().put("code", code))).get(30, TimeUnit.SECONDS).get("url");
    return url.isNull() ? null : url.asText();
  }

  @Test
  void theTutorialsUploaderImportsThroughAChannel() throws Exception {
    String csv = "code,url\nmylink,https://iii.dev\nmydocslink,https://iii.dev/docs";
    try (NodeWorker uploader =
        NodeWorker.start(
            "tutorial-uploader",
            Map.of("III_URL", linkly.engine().workerUrl(), "WORKER_NAME", "uploader", "CSV", csv),
            "TutorialUploaderIT")) {
      JsonNode result = uploader.await("result").get("value");
      assertThat(result.get("imported").asInt()).as("%s", result).isEqualTo(2);
      assertThat(result.get("skipped_count").asInt()).isZero();
      assertThat(uploader.awaitExit(NodeWorker.DEFAULT_WAIT)).isZero();
    }
    assertThat(resolve("mylink")).isEqualTo("https://iii.dev");
    assertThat(resolve("mydocslink")).isEqualTo("https://iii.dev/docs");
  }
}
