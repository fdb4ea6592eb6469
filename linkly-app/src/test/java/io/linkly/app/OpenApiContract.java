package io.linkly.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Linkly's OpenAPI document as a checker of real answers: a response is held to the schema the
 * document gives for its path, method, status and content type. {@code $ref}s to
 * {@code #/components/schemas} are inlined before the schema is compiled (the document has no
 * cycles), so the JSON Schema validator sees one self-contained schema.
 */
final class OpenApiContract {

  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  final JsonNode document;

  OpenApiContract(JsonNode document) {
    this.document = document;
  }

  /** The document's path templates with their methods, as {@code "GET /links/{code}"}. */
  List<String> operations() {
    List<String> out = new java.util.ArrayList<>();
    document.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
      if (!method.equals("parameters")) {
        out.add(method.toUpperCase() + " " + path.getKey());
      }
    }));
    return out;
  }

  /**
   * Checks that {@code response} is one the document lists for {@code method path} (path as a
   * template, e.g. {@code /links/{code}}): its status is documented, its content type is the
   * documented one, and a JSON body is valid against the documented schema.
   */
  void check(String method, String path, HttpResponse<String> response) {
    check(method, path, response.statusCode(), response.headers().firstValue("content-type").orElse(""), response.body());
  }

  void check(String method, String path, int status, String contentType, String responseBody) {
    String where = method + " " + path + " → " + status;
    JsonNode operation = document.path("paths").path(path).path(method.toLowerCase());
    assertThat(operation.isObject()).as("%s is documented", method + " " + path).isTrue();
    JsonNode documented = operation.path("responses").path(String.valueOf(status));
    assertThat(documented.isObject()).as("%s: status documented (body %s)", where, responseBody).isTrue();
    JsonNode content = documented.path("content");
    if (content.isMissingNode()) {
      return; // a redirect: nothing in the body
    }
    String type = contentType.split(";")[0].trim();
    assertThat(content.has(type)).as("%s: content type %s documented among %s", where, type, content.fieldNames()).isTrue();
    if (!type.equals("application/json")) {
      return;
    }
    Schema schema = REGISTRY.getSchema(inline(content.get(type).get("schema")));
    JsonNode body = LinklyFixture.json(responseBody);
    assertThat(schema.validate(body)).as("%s: %s is valid against its schema", where, responseBody).isEmpty();
  }

  /** {@code schema} with every {@code $ref} to a component replaced by a copy of it. */
  private JsonNode inline(JsonNode schema) {
    if (schema.isObject()) {
      JsonNode ref = schema.get("$ref");
      if (ref != null) {
        String prefix = "#/components/schemas/";
        assertThat(ref.asText()).startsWith(prefix);
        JsonNode target = document.path("components").path("schemas").path(ref.asText().substring(prefix.length()));
        assertThat(target.isObject()).as("%s exists", ref.asText()).isTrue();
        return inline(target);
      }
      ObjectNode copy = ((ObjectNode) schema).objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        copy.set(field.getKey(), inline(field.getValue())); // "properties" is a map of schemas: the same walk
      }
      return copy;
    }
    if (schema.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode copy = ((com.fasterxml.jackson.databind.node.ArrayNode) schema).arrayNode();
      schema.forEach(item -> copy.add(inline(item)));
      return copy;
    }
    return schema;
  }
}
