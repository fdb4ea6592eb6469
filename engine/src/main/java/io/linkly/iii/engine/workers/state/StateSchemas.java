package io.linkly.iii.engine.workers.state;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;

/**
 * The JSON Schemas (draft-07) attached to the {@code state::*} functions, as upstream exposes them
 * through {@code engine::functions::info}. Functions returning raw JSON have no response schema.
 */
final class StateSchemas {

  private StateSchemas() {}

  static final JsonNode SET_REQUEST = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "StateSetInput", "type": "object",
       "required": ["scope", "key", "value"],
       "properties": {"scope": {"type": "string"}, "key": {"type": "string"},
                      "value": {"description": "Any JSON value; `data` is accepted as an alias."}}}
      """);

  static final JsonNode KEY_REQUEST = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "StateGetInput", "type": "object",
       "required": ["scope", "key"],
       "properties": {"scope": {"type": "string"}, "key": {"type": "string"}}}
      """);

  static final JsonNode SCOPE_REQUEST = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "StateGetGroupInput", "type": "object",
       "required": ["scope"], "properties": {"scope": {"type": "string"}}}
      """);

  static final JsonNode EMPTY_REQUEST = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "StateListGroupsInput", "type": "object"}
      """);

  static final JsonNode UPDATE_REQUEST = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "StateUpdateInput", "type": "object",
       "required": ["scope", "key", "ops"],
       "properties": {
         "scope": {"type": "string"}, "key": {"type": "string"},
         "ops": {"type": "array", "items": {"$ref": "#/definitions/UpdateOp"}}},
       "definitions": {
         "Path": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
         "UpdateOp": {"oneOf": [
           {"type": "object", "required": ["type", "path"],
            "properties": {"type": {"enum": ["set"]}, "path": {"type": "string"}, "value": {}}},
           {"type": "object", "required": ["type", "value"],
            "properties": {"type": {"enum": ["merge"]}, "path": {"$ref": "#/definitions/Path"}, "value": {"type": "object"}}},
           {"type": "object", "required": ["type", "path", "by"],
            "properties": {"type": {"enum": ["increment"]}, "path": {"type": "string"}, "by": {"type": "integer"}}},
           {"type": "object", "required": ["type", "path", "by"],
            "properties": {"type": {"enum": ["decrement"]}, "path": {"type": "string"}, "by": {"type": "integer"}}},
           {"type": "object", "required": ["type", "value"],
            "properties": {"type": {"enum": ["append"]}, "path": {"$ref": "#/definitions/Path"}, "value": {}}},
           {"type": "object", "required": ["type", "path"],
            "properties": {"type": {"enum": ["remove"]}, "path": {"type": "string"}}}]}}}
      """);

  static final JsonNode SET_RESPONSE = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "SetResult", "type": "object",
       "required": ["new_value"],
       "properties": {"old_value": {"description": "null when the key did not exist"}, "new_value": {}}}
      """);

  static final JsonNode UPDATE_RESPONSE = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "UpdateResult", "type": "object",
       "required": ["new_value"],
       "properties": {
         "old_value": {"description": "null when the key did not exist"}, "new_value": {},
         "errors": {"type": "array", "items": {"type": "object", "required": ["op_index", "code", "message"],
           "properties": {"op_index": {"type": "integer", "minimum": 0}, "code": {"type": "string"},
                          "message": {"type": "string"}, "doc_url": {"type": "string"}}}}}}
      """);

  static final JsonNode GROUPS_RESPONSE = parse("""
      {"$schema": "http://json-schema.org/draft-07/schema#", "title": "StateListGroupsResult", "type": "object",
       "required": ["groups"], "properties": {"groups": {"type": "array", "items": {"type": "string"}}}}
      """);

  private static JsonNode parse(String json) {
    try {
      return Json.mapper().readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("bad built-in schema", e);
    }
  }
}
