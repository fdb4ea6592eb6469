package io.linkly.iii.engine.updates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.math.BigInteger;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The update-operation language of BUILTINS.md §3, op by op, bound by bound. */
class UpdateOpsTest {

  static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  static List<UpdateOp> ops(String text) {
    try {
      return UpdateOpReader.read(json(text));
    } catch (UpdateOpSyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Applies {@code opsJson} to {@code current} (null = missing key). */
  static UpdateOutcome apply(String current, String opsJson) {
    return UpdateOps.apply(current == null ? null : json(current), ops(opsJson));
  }

  /** Applies and asserts no op failed. */
  static JsonNode run(String current, String opsJson) {
    UpdateOutcome outcome = apply(current, opsJson);
    assertThat(outcome.errors()).as("errors").isEmpty();
    return outcome.newValue();
  }

  static List<String> codes(UpdateOutcome outcome) {
    return outcome.errors().stream().map(UpdateError::code).toList();
  }

  @Test
  void aMissingKeyStartsFromAnEmptyObjectAndTheStoredValueIsNeverMutated() {
    assertThat(run(null, "[]")).isEqualTo(json("{}"));
    JsonNode stored = json("{\"a\":{\"b\":[1]}}");
    UpdateOutcome outcome =
        UpdateOps.apply(stored, ops("[{\"type\":\"append\",\"path\":[\"a\",\"b\"],\"value\":2},{\"type\":\"set\",\"path\":\"c\",\"value\":1}]"));
    assertThat(outcome.newValue()).isEqualTo(json("{\"a\":{\"b\":[1,2]},\"c\":1}"));
    assertThat(stored).isEqualTo(json("{\"a\":{\"b\":[1]}}"));
  }

  @Test
  void opValuesAreCopiedSoReusingOpsIsSafe() {
    List<UpdateOp> batch = ops("[{\"type\":\"set\",\"path\":\"list\",\"value\":[]},{\"type\":\"append\",\"path\":\"list\",\"value\":1}]");
    assertThat(UpdateOps.apply(null, batch).newValue()).isEqualTo(json("{\"list\":[1]}"));
    assertThat(UpdateOps.apply(null, batch).newValue()).isEqualTo(json("{\"list\":[1]}"));
  }

  @Test
  void everyErrorCarriesTheDocUrl() {
    UpdateOutcome outcome = apply("{}", "[{\"type\":\"increment\",\"path\":\"__proto__\",\"by\":1}]");
    assertThat(outcome.errors()).singleElement().satisfies(e -> {
      assertThat(e.opIndex()).isZero();
      assertThat(e.docUrl()).isEqualTo("https://iii.dev/docs/workers/iii-state#error-codes");
      assertThat(e.toJson().fieldNames()).toIterable().containsExactly("op_index", "code", "message", "doc_url");
    });
  }

  @Nested
  class Set {
    @Test
    void emptyPathReplacesTheRootEvenWithNoValue() {
      assertThat(run("{\"\":\"x\",\"keep\":true}", "[{\"type\":\"set\",\"path\":\"\"}]")).isEqualTo(json("null"));
      assertThat(run("{\"a\":1}", "[{\"type\":\"set\",\"path\":\"\",\"value\":[1,2]}]")).isEqualTo(json("[1,2]"));
    }

    @Test
    void setsATopLevelFieldDefaultingToNull() {
      assertThat(run("{\"a\":1}", "[{\"type\":\"set\",\"path\":\"b\",\"value\":{\"x\":1}},{\"type\":\"set\",\"path\":\"c\"}]"))
          .isEqualTo(json("{\"a\":1,\"b\":{\"x\":1},\"c\":null}"));
    }

    @Test
    void aNonObjectRootIsAnError() {
      UpdateOutcome outcome = apply("[1]", "[{\"type\":\"set\",\"path\":\"a\",\"value\":1}]");
      assertThat(outcome.newValue()).isEqualTo(json("[1]"));
      assertThat(outcome.errors()).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("set.target_not_object");
        assertThat(e.message()).isEqualTo("Cannot set at path 'a': target is array, expected object.");
      });
    }
  }

  @Nested
  class Merge {
    @Test
    void rootMergeIsShallowForAbsentEmptyStringAndEmptyArrayPaths() {
      for (String path : List.of("", ",\"path\":\"\"", ",\"path\":[]", ",\"path\":null")) {
        assertThat(run("{\"a\":1,\"n\":{\"x\":1}}", "[{\"type\":\"merge\"" + path + ",\"value\":{\"b\":2,\"n\":{\"y\":2}}}]"))
            .as("path %s", path)
            .isEqualTo(json("{\"a\":1,\"n\":{\"y\":2},\"b\":2}"));
      }
    }

    @Test
    void rootMergeIntoANonObjectIsASilentNoOp() {
      UpdateOutcome outcome = apply("\"leaf\"", "[{\"type\":\"merge\",\"value\":{\"a\":1}}]");
      assertThat(outcome.newValue()).isEqualTo(json("\"leaf\""));
      assertThat(outcome.errors()).isEmpty();
    }

    @Test
    void firstLevelPathAccumulatesSiblingsAcrossCalls() {
      JsonNode first = run(null, "[{\"type\":\"merge\",\"path\":\"session-1\",\"value\":{\"ts:0001\":\"first chunk\"}}]");
      JsonNode second =
          UpdateOps.apply(first, ops("[{\"type\":\"merge\",\"path\":\"session-1\",\"value\":{\"ts:0002\":\"second chunk\"}}]"))
              .newValue();
      assertThat(second).isEqualTo(json("{\"session-1\":{\"ts:0001\":\"first chunk\",\"ts:0002\":\"second chunk\"}}"));
    }

    @Test
    void nestedPathCreatesMissingIntermediates() {
      assertThat(run(null, "[{\"type\":\"merge\",\"path\":[\"sessions\",\"abc\",\"metadata\"],\"value\":{\"author\":\"alice\"}}]"))
          .isEqualTo(json("{\"sessions\":{\"abc\":{\"metadata\":{\"author\":\"alice\"}}}}"));
    }

    @Test
    void nullAndOtherNonObjectIntermediatesAreReplaced() {
      JsonNode seeded = run(null, "[{\"type\":\"set\",\"path\":\"sessions\",\"value\":null}]");
      assertThat(UpdateOps.apply(seeded, ops("[{\"type\":\"merge\",\"path\":[\"sessions\",\"abc\"],\"value\":{\"author\":\"alice\"}}]")).newValue())
          .isEqualTo(json("{\"sessions\":{\"abc\":{\"author\":\"alice\"}}}"));
      assertThat(run("{\"sessions\":{\"abc\":\"garbage\"}}", "[{\"type\":\"merge\",\"path\":[\"sessions\",\"abc\"],\"value\":{\"a\":1}}]"))
          .isEqualTo(json("{\"sessions\":{\"abc\":{\"a\":1}}}"));
      assertThat(run("{\"sessions\":[1,2]}", "[{\"type\":\"merge\",\"path\":[\"sessions\",\"abc\"],\"value\":{\"a\":1}}]"))
          .as("an array intermediate is replaced by an object")
          .isEqualTo(json("{\"sessions\":{\"abc\":{\"a\":1}}}"));
    }

    @Test
    void aNestedMergeOnANonObjectRootReplacesTheRoot() {
      assertThat(run("\"leaf\"", "[{\"type\":\"merge\",\"path\":\"a\",\"value\":{\"x\":1}}]")).isEqualTo(json("{\"a\":{\"x\":1}}"));
    }

    @Test
    void theTargetIsMergedShallowly() {
      assertThat(run(
              "{\"sessions\":{\"abc\":{\"author\":\"old\",\"topic\":\"kept\"}}}",
              "[{\"type\":\"merge\",\"path\":[\"sessions\",\"abc\"],\"value\":{\"author\":\"new\"}}]"))
          .isEqualTo(json("{\"sessions\":{\"abc\":{\"author\":\"new\",\"topic\":\"kept\"}}}"));
    }

    @Test
    void mergeRemoveMergeRecreatesTheFieldCleanly() {
      assertThat(run(null, """
          [{"type":"merge","path":"session-1","value":{"a":1}},
           {"type":"remove","path":"session-1"},
           {"type":"merge","path":"session-1","value":{"b":2}}]"""))
          .isEqualTo(json("{\"session-1\":{\"b\":2}}"));
    }

    @Test
    void aStringPathEqualsAOneSegmentArrayAndDotsAreLiteral() {
      assertThat(run("{}", "[{\"type\":\"merge\",\"path\":\"foo\",\"value\":{\"x\":1}}]"))
          .isEqualTo(run("{}", "[{\"type\":\"merge\",\"path\":[\"foo\"],\"value\":{\"x\":1}}]"));
      assertThat(run("{\"a\":{\"b\":{\"kept\":true}}}", "[{\"type\":\"merge\",\"path\":[\"a.b\"],\"value\":{\"x\":1}}]"))
          .isEqualTo(json("{\"a\":{\"b\":{\"kept\":true}},\"a.b\":{\"x\":1}}"));
    }

    @Test
    void aNonObjectValueIsRejected() {
      UpdateOutcome outcome = apply("{\"a\":1}", "[{\"type\":\"merge\",\"path\":\"foo\",\"value\":\"nope\"}]");
      assertThat(outcome.newValue()).isEqualTo(json("{\"a\":1}"));
      assertThat(outcome.errors()).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("merge.value.not_an_object");
        assertThat(e.message()).isEqualTo("Merge value must be a JSON object");
      });
    }

    @Test
    void pathBounds() {
      String deep = IntStream.rangeClosed(0, 32).mapToObj(i -> "\"k" + i + "\"").collect(Collectors.joining(","));
      UpdateOutcome tooDeep = apply("{}", "[{\"type\":\"merge\",\"path\":[" + deep + "],\"value\":{\"x\":1}}]");
      assertThat(codes(tooDeep)).containsExactly("merge.path.too_deep");
      assertThat(tooDeep.errors().getFirst().message()).isEqualTo("Path depth 33 exceeds maximum of 32");
      String ok = IntStream.range(0, 32).mapToObj(i -> "\"k" + i + "\"").collect(Collectors.joining(","));
      assertThat(apply("{}", "[{\"type\":\"merge\",\"path\":[" + ok + "],\"value\":{\"x\":1}}]").errors()).isEmpty();

      UpdateOutcome tooLong = apply("{}", "[{\"type\":\"merge\",\"path\":[\"" + "a".repeat(257) + "\"],\"value\":{\"x\":1}}]");
      assertThat(codes(tooLong)).containsExactly("merge.path.segment_too_long");
      assertThat(tooLong.errors().getFirst().message()).isEqualTo("Path segment of 257 bytes exceeds maximum of 256");
      assertThat(apply("{}", "[{\"type\":\"merge\",\"path\":[\"" + "é".repeat(129) + "\"],\"value\":{}}]").errors())
          .as("segment length counts UTF-8 bytes")
          .extracting(UpdateError::code)
          .containsExactly("merge.path.segment_too_long");

      UpdateOutcome empty = apply("{}", "[{\"type\":\"merge\",\"path\":[\"a\",\"\"],\"value\":{\"x\":1}}]");
      assertThat(codes(empty)).containsExactly("merge.path.empty_segment");
      assertThat(empty.errors().getFirst().message()).isEqualTo("Path contains an empty segment");
      assertThat(empty.newValue()).isEqualTo(json("{}"));
    }

    @Test
    void prototypePollutionInPathsAndValuesIsRejected() {
      for (String sink : UpdateOps.PROTO_POLLUTION_KEYS) {
        UpdateOutcome path = apply("{}", "[{\"type\":\"merge\",\"path\":[\"" + sink + "\",\"polluted\"],\"value\":{\"x\":1}}]");
        assertThat(codes(path)).containsExactly("merge.path.proto_polluted");
        assertThat(path.errors().getFirst().message())
            .isEqualTo("Path segment '" + sink + "' is not allowed (prototype pollution).");
        assertThat(path.newValue()).as("the op did not apply").isEqualTo(json("{}"));
      }
      UpdateOutcome value = apply("{}", "[{\"type\":\"merge\",\"path\":\"foo\",\"value\":{\"__proto__\":{\"polluted\":true}}}]");
      assertThat(codes(value)).containsExactly("merge.value.proto_polluted");
      assertThat(value.errors().getFirst().message())
          .isEqualTo("Merge value top-level key \"__proto__\" is a prototype-pollution sink");
      assertThat(apply("{}", "[{\"type\":\"merge\",\"value\":{\"a\":{\"__proto__\":1}}}]").errors())
          .as("only top-level keys of the value are checked")
          .isEmpty();
    }

    @Test
    void valueBounds() {
      String nested = "{}";
      for (int i = 0; i < UpdateOps.MAX_VALUE_DEPTH; i++) {
        nested = "{\"n\":" + nested + "}";
      }
      UpdateOutcome deep = apply("{}", "[{\"type\":\"merge\",\"path\":\"foo\",\"value\":" + nested + "}]");
      assertThat(codes(deep)).containsExactly("merge.value.too_deep");
      assertThat(deep.errors().getFirst().message()).isEqualTo("Merge value JSON nesting depth 17 exceeds maximum of 16");

      String arrays = "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]"; // 16 arrays inside one object = depth 17
      assertThat(codes(apply("{}", "[{\"type\":\"merge\",\"value\":{\"a\":" + arrays + "}}]")))
          .as("arrays count towards depth")
          .containsExactly("merge.value.too_deep");

      String many = IntStream.rangeClosed(0, 1024).mapToObj(i -> "\"k" + i + "\":1").collect(Collectors.joining(","));
      UpdateOutcome wide = apply("{}", "[{\"type\":\"merge\",\"value\":{" + many + "}}]");
      assertThat(codes(wide)).containsExactly("merge.value.too_many_keys");
      assertThat(wide.errors().getFirst().message()).isEqualTo("Merge value has 1025 top-level keys, exceeds maximum of 1024");
    }
  }

  @Nested
  class IncrementAndDecrement {
    @Test
    void existingAndMissingFields() {
      assertThat(run("{\"count\":2}", "[{\"type\":\"increment\",\"path\":\"count\",\"by\":3},{\"type\":\"increment\",\"path\":\"missing\",\"by\":3}]"))
          .isEqualTo(json("{\"count\":5,\"missing\":3}"));
      assertThat(run("{\"count\":5}", "[{\"type\":\"decrement\",\"path\":\"count\",\"by\":3},{\"type\":\"decrement\",\"path\":\"missing\",\"by\":3}]"))
          .isEqualTo(json("{\"count\":2,\"missing\":-3}"));
      assertThat(run("{\"count\":10}", "[{\"type\":\"increment\",\"path\":\"count\",\"by\":5},{\"type\":\"decrement\",\"path\":\"count\",\"by\":3}]"))
          .isEqualTo(json("{\"count\":12}"));
    }

    @Test
    void aNonNumberFieldIsAnErrorThatSkipsOnlyThatOp() {
      UpdateOutcome inc = apply("{\"count\":2,\"bad\":\"value\"}", """
          [{"type":"increment","path":"count","by":3},{"type":"increment","path":"bad","by":3},
           {"type":"increment","path":"missing","by":3}]""");
      assertThat(inc.newValue()).isEqualTo(json("{\"count\":5,\"bad\":\"value\",\"missing\":3}"));
      assertThat(inc.errors()).singleElement().satisfies(e -> {
        assertThat(e.opIndex()).isEqualTo(1);
        assertThat(e.code()).isEqualTo("increment.not_number");
        assertThat(e.message()).isEqualTo("Expected number at path 'bad', got string.");
      });
      UpdateOutcome dec = apply("{\"bad\":\"value\"}", "[{\"type\":\"decrement\",\"path\":\"bad\",\"by\":0}]");
      assertThat(codes(dec)).as("zero still checks the type").containsExactly("decrement.not_number");
    }

    @Test
    void nullFieldsAreNotTreatedAsMissing() {
      UpdateOutcome outcome = apply("{\"inc\":null,\"dec\":null}",
          "[{\"type\":\"increment\",\"path\":\"inc\",\"by\":1},{\"type\":\"decrement\",\"path\":\"dec\",\"by\":1}]");
      assertThat(outcome.newValue()).isEqualTo(json("{\"inc\":null,\"dec\":null}"));
      assertThat(codes(outcome)).containsExactly("increment.not_number", "decrement.not_number");
      assertThat(outcome.errors().get(1).message()).isEqualTo("Expected number at path 'dec', got null.");
    }

    @Test
    void rootNumbers() {
      assertThat(run("2", "[{\"type\":\"increment\",\"path\":\"\",\"by\":3}]")).isEqualTo(json("5"));
      assertThat(run("5", "[{\"type\":\"decrement\",\"path\":\"\",\"by\":3}]")).isEqualTo(json("2"));
      assertThat(run(null, "[{\"type\":\"increment\",\"path\":\"\",\"by\":7}]")).as("a missing key becomes by").isEqualTo(json("7"));
      assertThat(run(null, "[{\"type\":\"decrement\",\"path\":\"\",\"by\":7}]")).isEqualTo(json("-7"));
      UpdateOutcome object = apply("{}", "[{\"type\":\"increment\",\"path\":\"\",\"by\":1}]");
      assertThat(object.errors()).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("increment.not_number");
        assertThat(e.message()).isEqualTo("Expected number at path 'root', got object.");
      });
      assertThat(run(null, "[{\"type\":\"set\",\"path\":\"a\",\"value\":1},{\"type\":\"increment\",\"path\":\"a\",\"by\":1}]"))
          .isEqualTo(json("{\"a\":2}"));
      assertThat(codes(apply(null, "[{\"type\":\"set\",\"path\":\"a\",\"value\":1},{\"type\":\"increment\",\"path\":\"\",\"by\":1}]")))
          .as("once an op applied, the root is no longer missing")
          .containsExactly("increment.not_number");
    }

    @Test
    void nonObjectRootWithAFieldPath() {
      UpdateOutcome outcome = apply("[1]", "[{\"type\":\"increment\",\"path\":\"a\",\"by\":1},{\"type\":\"decrement\",\"path\":\"a\",\"by\":1}]");
      assertThat(codes(outcome)).containsExactly("increment.target_not_object", "decrement.target_not_object");
      assertThat(outcome.errors().getFirst().message()).isEqualTo("Cannot increment at path 'a': target is array, expected object.");
    }

    @Test
    void floatsUseFloatingPoint() {
      assertThat(Json.write(run("{\"count\":1.5}", "[{\"type\":\"increment\",\"path\":\"count\",\"by\":2},{\"type\":\"decrement\",\"path\":\"count\",\"by\":1}]")))
          .isEqualTo("{\"count\":2.5}");
      assertThat(Json.write(run("{\"c\":2.0}", "[{\"type\":\"increment\",\"path\":\"c\",\"by\":1}]"))).isEqualTo("{\"c\":3.0}");
    }

    @Test
    void overflowIsPromotedToExactUnsignedValues() {
      JsonNode promoted = run("{\"count\":9223372036854775807}", "[{\"type\":\"increment\",\"path\":\"count\",\"by\":1}]");
      assertThat(promoted.get("count").bigIntegerValue()).isEqualTo(new BigInteger("9223372036854775808"));
      JsonNode large = run("{\"inc\":9223372036854775817,\"dec\":9223372036854775817}",
          "[{\"type\":\"increment\",\"path\":\"inc\",\"by\":1},{\"type\":\"decrement\",\"path\":\"dec\",\"by\":1}]");
      assertThat(Json.write(large)).isEqualTo("{\"inc\":9223372036854775818,\"dec\":9223372036854775816}");
      JsonNode fromMissing = run("{}", "[{\"type\":\"decrement\",\"path\":\"count\",\"by\":-9223372036854775808}]");
      assertThat(Json.write(fromMissing)).isEqualTo("{\"count\":9223372036854775808}");
      assertThat(codes(apply("{\"n\":18446744073709551615}", "[{\"type\":\"increment\",\"path\":\"n\",\"by\":1}]")))
          .as("beyond u64 there is no exact representation")
          .containsExactly("increment.not_number");
      assertThat(codes(apply("{\"n\":-9223372036854775808}", "[{\"type\":\"decrement\",\"path\":\"n\",\"by\":1}]")))
          .containsExactly("decrement.not_number");
    }
  }

  @Nested
  class Append {
    @Test
    void pushesOneElementAndConcatenatesStrings() {
      assertThat(run("{\"events\":[{\"kind\":\"start\"}]}", "[{\"type\":\"append\",\"path\":\"events\",\"value\":{\"kind\":\"chunk\"}}]"))
          .isEqualTo(json("{\"events\":[{\"kind\":\"start\"},{\"kind\":\"chunk\"}]}"));
      assertThat(run("{\"events\":[]}", "[{\"type\":\"append\",\"path\":\"events\",\"value\":[\"nested\",\"array\"]}]"))
          .as("an array value is pushed as one element")
          .isEqualTo(json("{\"events\":[[\"nested\",\"array\"]]}"));
      assertThat(run("{\"t\":\"hello\"}", "[{\"type\":\"append\",\"path\":\"t\",\"value\":\" world\"}]"))
          .isEqualTo(json("{\"t\":\"hello world\"}"));
      assertThat(run("{\"events\":[]}", "[{\"type\":\"append\",\"path\":\"events\",\"value\":\"first\"},{\"type\":\"append\",\"path\":\"events\",\"value\":\"second\"}]"))
          .isEqualTo(json("{\"events\":[\"first\",\"second\"]}"));
    }

    @Test
    void missingAndNullFieldsStartByTheValuesKind() {
      assertThat(run("{}", "[{\"type\":\"append\",\"path\":\"t\",\"value\":\"hello\"},{\"type\":\"append\",\"path\":\"e\",\"value\":{\"k\":1}}]"))
          .isEqualTo(json("{\"t\":\"hello\",\"e\":[{\"k\":1}]}"));
      assertThat(run("{\"s\":null,\"a\":null}", "[{\"type\":\"append\",\"path\":\"s\",\"value\":\"chunk\"},{\"type\":\"append\",\"path\":\"a\",\"value\":{\"k\":1}}]"))
          .isEqualTo(json("{\"s\":\"chunk\",\"a\":[{\"k\":1}]}"));
    }

    @Test
    void rootAppend() {
      assertThat(run(null, "[{\"type\":\"append\",\"path\":\"\",\"value\":\"hello\"}]")).isEqualTo(json("\"hello\""));
      assertThat(run(null, "[{\"type\":\"append\",\"value\":{\"kind\":\"chunk\"}}]")).isEqualTo(json("[{\"kind\":\"chunk\"}]"));
      assertThat(run(null, "[{\"type\":\"append\",\"value\":[]}]")).as("an empty array value on a missing key").isEqualTo(json("[[]]"));
      assertThat(run("[]", "[{\"type\":\"append\",\"value\":1}]")).as("a stored empty array").isEqualTo(json("[1]"));
      assertThat(run("[1]", "[{\"type\":\"append\",\"path\":[],\"value\":[]}]")).isEqualTo(json("[1,[]]"));
      assertThat(run("\"ab\"", "[{\"type\":\"append\",\"value\":\"c\"}]")).isEqualTo(json("\"abc\""));
      UpdateOutcome object = apply("{}", "[{\"type\":\"append\",\"value\":1}]");
      assertThat(object.errors()).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("append.type_mismatch");
        assertThat(e.message())
            .isEqualTo("Cannot append at path 'root': target is object, expected array, string, null, or missing field.");
      });
    }

    @Test
    void typeMismatches() {
      UpdateOutcome string = apply("{\"t\":\"hello\"}", "[{\"type\":\"append\",\"path\":\"t\",\"value\":{\"not\":\"string\"}}]");
      assertThat(string.newValue()).isEqualTo(json("{\"t\":\"hello\"}"));
      assertThat(string.errors()).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("append.type_mismatch");
        assertThat(e.message()).isEqualTo("Expected string append value at path 't', got object.");
      });
      UpdateOutcome object = apply("{\"events\":{}}", "[{\"type\":\"append\",\"path\":\"events\",\"value\":\"chunk\"}]");
      assertThat(object.newValue()).isEqualTo(json("{\"events\":{}}"));
      assertThat(codes(object)).containsExactly("append.type_mismatch");
    }

    @Test
    void nestedPaths() {
      assertThat(run("{\"entityId\":{\"buffer\":[\"a\"]}}", "[{\"type\":\"append\",\"path\":[\"entityId\",\"buffer\"],\"value\":\"b\"}]"))
          .isEqualTo(json("{\"entityId\":{\"buffer\":[\"a\",\"b\"]}}"));
      assertThat(run("{}", "[{\"type\":\"append\",\"path\":[\"entityId\",\"buffer\"],\"value\":\"a\"}]"))
          .as("intermediates are created and a missing nested leaf is always an array")
          .isEqualTo(json("{\"entityId\":{\"buffer\":[\"a\"]}}"));
      assertThat(run("{\"entityId\":7}", "[{\"type\":\"append\",\"path\":[\"entityId\",\"buffer\"],\"value\":1}]"))
          .as("a non-object intermediate is replaced")
          .isEqualTo(json("{\"entityId\":{\"buffer\":[1]}}"));
      UpdateOutcome leaf = apply("{\"entityId\":{\"buffer\":{\"x\":\"y\"}}}", "[{\"type\":\"append\",\"path\":[\"entityId\",\"buffer\"],\"value\":\"z\"}]");
      assertThat(codes(leaf)).containsExactly("append.type_mismatch");
      assertThat(leaf.newValue()).isEqualTo(json("{\"entityId\":{\"buffer\":{\"x\":\"y\"}}}"));
      assertThat(leaf.errors().getFirst().message())
          .isEqualTo("Cannot append at path 'buffer': target is object, expected array, string, null, or missing field.");
    }

    @Test
    void aNonObjectRootWithAPathIsRejectedUntouched() {
      UpdateOutcome outcome = apply("[1,2,3]", "[{\"type\":\"append\",\"path\":[\"a\",\"b\"],\"value\":\"x\"}]");
      assertThat(outcome.newValue()).isEqualTo(json("[1,2,3]"));
      assertThat(outcome.errors()).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("append.target_not_object");
        assertThat(e.message()).isEqualTo("Cannot append at path '[a, b]': target is array, expected object.");
      });
    }

    @Test
    void dottedStringsAreLiteralKeys() {
      assertThat(run("{\"user.name\":[\"A\"],\"user\":{\"name\":[\"B\"]}}", "[{\"type\":\"append\",\"path\":\"user.name\",\"value\":\"C\"}]"))
          .isEqualTo(json("{\"user.name\":[\"A\",\"C\"],\"user\":{\"name\":[\"B\"]}}"));
      assertThat(run("{\"entityId\":{\"buffer\":[\"nested\"]}}", "[{\"type\":\"append\",\"path\":\"entityId.buffer\",\"value\":\"flat\"}]"))
          .isEqualTo(json("{\"entityId\":{\"buffer\":[\"nested\"]},\"entityId.buffer\":\"flat\"}"));
    }

    @Test
    void pathChecksRunBeforeAnythingIsCreated() {
      assertThat(codes(apply("{}", "[{\"type\":\"append\",\"path\":[\"a\",\"constructor\",\"b\"],\"value\":\"x\"}]")))
          .containsExactly("append.path.proto_polluted");
      assertThat(apply("{}", "[{\"type\":\"append\",\"path\":[\"a\",\"constructor\",\"b\"],\"value\":\"x\"}]").newValue())
          .isEqualTo(json("{}"));
      assertThat(codes(apply("{\"safe\":{}}", "[{\"type\":\"append\",\"path\":[\"safe\",\"prototype\"],\"value\":\"x\"}]")))
          .containsExactly("append.path.proto_polluted");
      assertThat(codes(apply("{}", "[{\"type\":\"append\",\"path\":\"" + "a".repeat(257) + "\",\"value\":\"x\"}]")))
          .containsExactly("append.path.segment_too_long");
    }
  }

  @Nested
  class Remove {
    @Test
    void removesAFieldAndAMissingFieldIsSilent() {
      assertThat(run("{\"a\":1,\"b\":2}", "[{\"type\":\"remove\",\"path\":\"a\"},{\"type\":\"remove\",\"path\":\"zzz\"}]"))
          .isEqualTo(json("{\"b\":2}"));
    }

    @Test
    void emptyPathClearsTheRoot() {
      assertThat(run("{\"\":\"x\",\"keep\":true}", "[{\"type\":\"remove\",\"path\":\"\"}]")).isEqualTo(json("null"));
    }

    @Test
    void aNonObjectRootIsAnError() {
      UpdateOutcome outcome = apply("5", "[{\"type\":\"remove\",\"path\":\"a\"}]");
      assertThat(outcome.errors()).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("remove.target_not_object");
        assertThat(e.message()).isEqualTo("Cannot remove at path 'a': target is number, expected object.");
      });
    }
  }

  @Test
  void everyNonMergeOpChecksItsPathWithItsOwnCode() {
    for (String sink : UpdateOps.PROTO_POLLUTION_KEYS) {
      assertThat(codes(apply("{}", "[{\"type\":\"set\",\"path\":\"" + sink + "\",\"value\":true}]"))).containsExactly("set.path.proto_polluted");
      assertThat(codes(apply("{}", "[{\"type\":\"append\",\"path\":\"" + sink + "\",\"value\":\"c\"}]"))).containsExactly("append.path.proto_polluted");
      assertThat(codes(apply("{}", "[{\"type\":\"increment\",\"path\":\"" + sink + "\",\"by\":1}]"))).containsExactly("increment.path.proto_polluted");
      assertThat(codes(apply("{}", "[{\"type\":\"decrement\",\"path\":\"" + sink + "\",\"by\":1}]"))).containsExactly("decrement.path.proto_polluted");
      assertThat(codes(apply("{}", "[{\"type\":\"remove\",\"path\":\"" + sink + "\"}]"))).containsExactly("remove.path.proto_polluted");
    }
    assertThat(codes(apply("{}", "[{\"type\":\"set\",\"path\":\"" + "x".repeat(300) + "\",\"value\":1}]"))).containsExactly("set.path.segment_too_long");
  }

  @Test
  void failedOpsDoNotAbortTheBatchAndKeepTheirOriginalIndex() {
    UpdateOutcome outcome = apply("{\"bad\":\"value\",\"events\":{}}", """
        [{"type":"increment","path":"bad","by":1},
         {"type":"set","path":"__proto__","value":true},
         {"type":"append","path":"events","value":"chunk"},
         {"type":"set","path":"ok","value":true}]""");
    assertThat(outcome.newValue()).isEqualTo(json("{\"bad\":\"value\",\"events\":{},\"ok\":true}"));
    assertThat(outcome.errors()).extracting(UpdateError::opIndex).containsExactly(0, 1, 2);
    assertThat(codes(outcome)).containsExactly("increment.not_number", "set.path.proto_polluted", "append.type_mismatch");
  }

  @Test
  void partialFailureKeepsPriorAndLaterSuccesses() {
    UpdateOutcome outcome = apply("{\"buffer\":[]}", """
        [{"type":"append","path":"buffer","value":"first"},
         {"type":"append","path":["__proto__","polluted"],"value":true},
         {"type":"append","path":"buffer","value":"third"}]""");
    assertThat(outcome.newValue()).isEqualTo(json("{\"buffer\":[\"first\",\"third\"]}"));
    assertThat(outcome.errors()).singleElement().satisfies(e -> {
      assertThat(e.opIndex()).isEqualTo(1);
      assertThat(e.code()).isEqualTo("append.path.proto_polluted");
    });
  }

  @Test
  void aBatchWhereEveryOpFailsStillYieldsTheStartingValue() {
    UpdateOutcome outcome = apply(null, "[{\"type\":\"increment\",\"path\":\"__proto__\",\"by\":1}]");
    assertThat(outcome.newValue()).isEqualTo(json("{}"));
    assertThat(outcome.errors()).hasSize(1);
  }
}
