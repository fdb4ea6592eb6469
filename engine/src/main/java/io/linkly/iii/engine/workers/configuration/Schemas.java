package io.linkly.iii.engine.workers.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/** JSON Schema checks of configuration values (draft-07 unless the schema names another draft). */
final class Schemas {

  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);
  /** Draft-07's meta-schema (shipped in the validator's jar): what a schema itself must satisfy. */
  private static final Schema META = REGISTRY.getSchema(com.networknt.schema.SchemaLocation.of("http://json-schema.org/draft-07/schema#"));

  private Schemas() {}

  /** A schema that is not usable as one. */
  static final class BadSchema extends Exception {
    BadSchema(String message) {
      super(message, null, false, false);
    }
  }

  static Schema compile(JsonNode schema) throws BadSchema {
    if (schema == null || !(schema.isObject() || schema.isBoolean())) {
      throw new BadSchema("schema must be a JSON Schema object, got " + (schema == null ? "nothing" : schema.getNodeType().name().toLowerCase()));
    }
    List<String> problems = problems(META, schema);
    if (!problems.isEmpty()) {
      throw new BadSchema("schema is not a valid JSON Schema: " + String.join("; ", problems));
    }
    try {
      Schema compiled = REGISTRY.getSchema(schema);
      compiled.validate(com.fasterxml.jackson.databind.node.NullNode.getInstance()); // resolves every keyword once
      return compiled;
    } catch (RuntimeException e) {
      throw new BadSchema("schema is not a valid JSON Schema: " + e.getMessage());
    }
  }

  /** One line per problem, each naming the key at fault; empty when the value is valid. */
  static List<String> problems(Schema schema, JsonNode value) {
    JsonNode subject = value == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : value;
    return schema.validate(subject).stream().map(Schemas::describe).toList();
  }

  private static String describe(Error error) {
    String at = String.valueOf(error.getInstanceLocation());
    String message = error.getMessage();
    return message.startsWith(at) ? message : at + ": " + message;
  }
}
