package io.linkly.iii.engine.updates;

import static io.linkly.iii.engine.updates.UpdateOpsTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire shapes of the ops list and the errors for shapes that do not fit. */
class UpdateOpReaderTest {

  @Test
  void readsEveryOpShape() throws Exception {
    List<UpdateOp> ops = UpdateOpReader.read(json("""
        [{"type":"set","path":"a","value":1},
         {"type":"set","path":"b"},
         {"type":"merge","value":{"x":1}},
         {"type":"merge","path":"k","value":{}},
         {"type":"merge","path":["a","b"],"value":{}},
         {"type":"increment","path":"n","by":2},
         {"type":"decrement","path":"n","by":-3},
         {"type":"append","path":"",  "value":null},
         {"type":"append","path":["x"],"value":"s"},
         {"type":"remove","path":"r"}]"""));
    assertThat(ops).containsExactly(
        new UpdateOp.Set("a", json("1")),
        new UpdateOp.Set("b", null),
        new UpdateOp.Merge(List.of(), json("{\"x\":1}")),
        new UpdateOp.Merge(List.of("k"), json("{}")),
        new UpdateOp.Merge(List.of("a", "b"), json("{}")),
        new UpdateOp.Increment("n", 2),
        new UpdateOp.Decrement("n", -3),
        new UpdateOp.Append(List.of(), json("null")),
        new UpdateOp.Append(List.of("x"), json("\"s\"")),
        new UpdateOp.Remove("r"));
  }

  @Test
  void malformedOpsNameTheProblemAndTheOp() {
    assertThatThrownBy(() -> UpdateOpReader.read(json("{}")))
        .isInstanceOf(UpdateOpSyntaxException.class)
        .hasMessage("invalid type: map, expected a sequence (field `ops`)");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"path\":\"a\"}]")))
        .hasMessage("missing field `type` (ops[0])");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"set\",\"path\":\"a\"},{\"type\":\"multiply\"}]")))
        .hasMessage("unknown variant `multiply`, expected one of `set`, `merge`, `increment`, `decrement`, `append`, `remove` (ops[1])");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"set\",\"value\":1}]")))
        .hasMessageStartingWith("missing field `path`");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"remove\",\"path\":[\"a\"]}]")))
        .as("only merge and append take segment arrays")
        .hasMessageStartingWith("invalid type: sequence, expected a string");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"increment\",\"path\":\"n\"}]")))
        .hasMessageStartingWith("missing field `by`");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"increment\",\"path\":\"n\",\"by\":1.5}]")))
        .hasMessageStartingWith("invalid type: floating point `1.5`, expected i64");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"increment\",\"path\":\"n\",\"by\":9223372036854775808}]")))
        .hasMessageStartingWith("invalid value: integer `9223372036854775808`, expected i64");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"merge\",\"path\":\"k\"}]")))
        .hasMessageStartingWith("missing field `value`");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[{\"type\":\"append\",\"path\":[\"a\",1],\"value\":1}]")))
        .hasMessageStartingWith("data did not match any variant of untagged enum MergePath");
    assertThatThrownBy(() -> UpdateOpReader.read(json("[\"set\"]")))
        .hasMessageStartingWith("invalid type: string \"set\", expected internally tagged enum UpdateOp");
  }
}
