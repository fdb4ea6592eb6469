package io.linkly.iii.engine.updates;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The value after a batch of ops, and the ops that failed. The value is written back even when
 * every op failed, as upstream does.
 */
public record UpdateOutcome(JsonNode newValue, List<UpdateError> errors) {

  public UpdateOutcome {
    errors = List.copyOf(errors);
  }
}
