package io.linkly.iii.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@link PlainTriggerArgs} reads what it accepts exactly as picocli reads it into {@link
 * TriggerCommand}, and leaves everything else to picocli.
 */
class PlainTriggerArgsTest {

  static Stream<List<String>> plain() {
    return Stream.of(
        List.of("engine::health::check"),
        List.of("stream::list", "stream_name=clicks", "group_id=all"),
        List.of("f", "count=10", "ok=true", "x=null", "ids=[1,2]", "code=007", "q=a=b", "msg=hello world", "empty="),
        List.of("f", "--port", "1234"),
        List.of("f", "--port=1234"),
        List.of("--port", "1234", "f", "a=1"),
        List.of("f", "a=1", "--address", "127.0.0.1", "b=2"),
        List.of("f", "--address=ws://127.0.0.1:49134"),
        List.of("f", "--address", "ws://h:1/path?x=1"),
        List.of("f", "--timeout-ms", "1500"),
        List.of("f", "--timeout-ms=0"),
        List.of("f", "--json", "{\"a\":1}", "b=2"),
        List.of("f", "--json={\"a\":[1,2]}"),
        List.of("f", "--json", "[1]"),
        List.of("f", "--json="),
        List.of("f", "--json", "{\"code\":\"iii\"}", "--timeout-ms", "5000", "--address", "ws://127.0.0.1:49134", "--port", "1"));
  }

  @ParameterizedTest
  @MethodSource("plain")
  void readsPlainArgumentsAsPicocliDoes(List<String> args) {
    TriggerCommand viaPicocli = new TriggerCommand();
    new CommandLine(viaPicocli).parseArgs(args.toArray(String[]::new));

    TriggerCommand plain = PlainTriggerArgs.read(args);

    assertThat(plain).as("read without picocli").isNotNull();
    assertThat(plain).usingRecursiveComparison().isEqualTo(viaPicocli);
  }

  static Stream<List<String>> notPlain() {
    return Stream.of(
        List.of(),
        List.of("--help"),
        List.of("-h"),
        List.of("f", "--help"),
        List.of("f", "-h"),
        List.of("f", "--version"),
        List.of("f", "-V"),
        List.of("--port", "1"),
        List.of("f", "--port"),
        List.of("f", "--port", "x"),
        List.of("f", "--port", "-1"),
        List.of("f", "--port", "1234567890"),
        List.of("f", "--port="),
        List.of("f", "--port", "1", "--port", "2"),
        List.of("f", "--timeout-ms", "1e3"),
        List.of("f", "--json", "-1"),
        List.of("f", "--jsn", "{}"),
        List.of("f", "--function-id", "g"),
        List.of("f", "--payload", "{}"),
        List.of("f", "@args.txt"),
        List.of("@args.txt"),
        List.of("f", "--json", "@payload.json"),
        List.of("f", "--", "a=1"),
        List.of("f", "-"),
        List.of("f", "-x=1"));
  }

  @ParameterizedTest
  @MethodSource("notPlain")
  void leavesEverythingElseToPicocli(List<String> args) {
    assertThat(PlainTriggerArgs.read(args)).isNull();
  }
}
