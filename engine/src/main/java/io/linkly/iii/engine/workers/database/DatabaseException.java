package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.engine.core.InvocationException;
import io.linkly.iii.protocol.ErrorBody;
import io.linkly.iii.protocol.Json;

/**
 * A database failure with upstream's JSON error body ({@code {"code":"DRIVER_ERROR","driver":…}}).
 * It becomes a wire error whose {@code code} is the body's code and whose {@code message} is the
 * whole body as JSON text, because the wire error has no room for {@code inner_code} and the rest;
 * {@code database::transaction} embeds the body itself in its {@code committed:false} result.
 */
final class DatabaseException extends Exception {

  private final ObjectNode body;

  DatabaseException(ObjectNode body) {
    super(body.path("code").asText() + ": " + body.path("message").asText(body.toString()), null, false, false);
    this.body = body;
  }

  String code() {
    return body.get("code").asText();
  }

  /** The body, to embed in a result; callers must not change it. */
  ObjectNode body() {
    return body;
  }

  /** The same failure attributed to one statement of a transaction (DRIVER_ERROR only, as upstream). */
  DatabaseException atStatement(int index) {
    if (!DatabaseErrors.DRIVER_ERROR.equals(code()) || body.has("failed_index")) {
      return this;
    }
    ObjectNode copy = body.deepCopy();
    copy.put("failed_index", index);
    return new DatabaseException(copy);
  }

  /** The same failure, saying that it also ended the interactive transaction it happened in. */
  DatabaseException rolledBack() {
    ObjectNode copy = body.deepCopy();
    copy.put("rolled_back", true);
    return new DatabaseException(copy);
  }

  InvocationException toInvocation() {
    return new InvocationException(new ErrorBody(code(), Json.write(body)));
  }
}
