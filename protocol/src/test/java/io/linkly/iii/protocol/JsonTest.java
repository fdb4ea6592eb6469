package io.linkly.iii.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void prettyOutputMatchesUpstreamsCli() throws Exception {
    var node = Json.mapper().readTree("{\"a\":1,\"b\":[],\"c\":{},\"d\":[1,{\"e\":\"f\"}]}");
    assertThat(Json.writePretty(node))
        .isEqualTo(
            """
            {
              "a": 1,
              "b": [],
              "c": {},
              "d": [
                1,
                {
                  "e": "f"
                }
              ]
            }""");
  }
}
