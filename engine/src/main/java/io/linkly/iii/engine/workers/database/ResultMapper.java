package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.linkly.iii.protocol.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.sqlite.core.CoreStatement;

/**
 * Result sets as upstream's JSON (LINKLY.md §6). {@code columns} carry the declared type: for
 * SQLite the column's declared type exactly as written ({@code ""} for an expression such as
 * {@code COUNT(*)}), for PostgreSQL the type name ({@code int4}, {@code text}, {@code timestamptz}).
 * Cells: SQLite gives integer, real, text, null, and blobs as base64; PostgreSQL gives booleans,
 * int2/int4 and floats as numbers, int8 and numeric as strings (no precision is lost in
 * JavaScript), bytea as base64, timestamps as RFC 3339 UTC seconds, json/jsonb as JSON.
 */
final class ResultMapper {

  record Column(String name, String type) {}

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final DateTimeFormatter RFC3339_SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");

  private final Driver driver;

  ResultMapper(Driver driver) {
    this.driver = driver;
  }

  List<Column> columns(PreparedStatement statement, ResultSet rows) throws SQLException {
    ResultSetMetaData meta = rows.getMetaData();
    int count = meta.getColumnCount();
    List<Column> out = new ArrayList<>(count);
    CoreStatement sqlite = driver == Driver.SQLITE ? statement.unwrap(CoreStatement.class) : null;
    for (int i = 1; i <= count; i++) {
      String name = meta.getColumnLabel(i);
      String type = sqlite != null ? sqliteDeclaredType(sqlite, i - 1) : postgresTypeName(meta.getColumnTypeName(i));
      out.add(new Column(name, type == null ? "" : type));
    }
    return out;
  }

  static ArrayNode toJson(List<Column> columns) {
    ArrayNode out = NODES.arrayNode(columns.size());
    for (Column c : columns) {
      out.addObject().put("name", c.name()).put("type", c.type());
    }
    return out;
  }

  /** The row as {@code {column: value}}; a repeated column name keeps its last value, as upstream. */
  ObjectNode object(ResultSet rows, List<Column> columns) throws SQLException {
    ObjectNode row = NODES.objectNode();
    for (int i = 0; i < columns.size(); i++) {
      row.set(columns.get(i).name(), cell(rows, i + 1, columns.get(i)));
    }
    return row;
  }

  /** The row as {@code [value, …]}, the shape of {@code database::transaction}'s results. */
  ArrayNode array(ResultSet rows, List<Column> columns) throws SQLException {
    ArrayNode row = NODES.arrayNode(columns.size());
    for (int i = 0; i < columns.size(); i++) {
      row.add(cell(rows, i + 1, columns.get(i)));
    }
    return row;
  }

  JsonNode cell(ResultSet rows, int index, Column column) throws SQLException {
    return driver == Driver.SQLITE ? sqliteCell(rows, index) : postgresCell(rows, index, column.type());
  }

  // ------------------------------------------------------------------ SQLite

  /**
   * sqlite-jdbc's metadata normalises declared types ("varchar(10)" becomes "VARCHAR") and
   * invents one for expressions; upstream reports {@code sqlite3_column_decltype} verbatim, so
   * read that from the statement itself.
   */
  private static String sqliteDeclaredType(CoreStatement statement, int column) throws SQLException {
    return statement.pointer.safeRun((db, pointer) -> db.column_decltype(pointer, column));
  }

  private static JsonNode sqliteCell(ResultSet rows, int index) throws SQLException {
    Object value = rows.getObject(index);
    return switch (value) {
      case null -> NODES.nullNode();
      case Integer i -> NODES.numberNode(i.longValue());
      case Long l -> NODES.numberNode(l);
      case Double d -> Double.isFinite(d) ? NODES.numberNode(d) : NODES.nullNode();
      case byte[] bytes -> NODES.textNode(Base64.getEncoder().encodeToString(bytes));
      default -> NODES.textNode(value.toString());
    };
  }

  // ------------------------------------------------------------------ PostgreSQL

  /** pgjdbc reports serial columns by their DDL alias; upstream (and the server) report the type. */
  private static String postgresTypeName(String name) {
    return switch (name) {
      case "serial" -> "int4";
      case "bigserial" -> "int8";
      case "smallserial" -> "int2";
      default -> name;
    };
  }

  private static JsonNode postgresCell(ResultSet rows, int index, String type) throws SQLException {
    JsonNode value =
        switch (type) {
          case "bool" -> NODES.booleanNode(rows.getBoolean(index));
          case "int2", "int4" -> NODES.numberNode(rows.getLong(index));
          case "int8" -> NODES.textNode(Long.toString(rows.getLong(index)));
          case "float4" -> finite(rows.getFloat(index));
          case "float8" -> finite(rows.getDouble(index));
          case "bytea" -> {
            byte[] bytes = rows.getBytes(index);
            yield bytes == null ? null : NODES.textNode(Base64.getEncoder().encodeToString(bytes));
          }
          case "timestamptz" -> timestamp(rows, index, true);
          case "timestamp" -> timestamp(rows, index, false);
          case "json", "jsonb" -> json(rows.getString(index));
          default -> {
            String text = rows.getString(index);
            yield text == null ? null : NODES.textNode(text);
          }
        };
    return value == null || rows.wasNull() ? NODES.nullNode() : value;
  }

  private static JsonNode finite(double value) {
    return Double.isFinite(value) ? NODES.numberNode(value) : NODES.nullNode();
  }

  private static JsonNode timestamp(ResultSet rows, int index, boolean withZone) throws SQLException {
    try {
      OffsetDateTime at =
          withZone
              ? rows.getObject(index, OffsetDateTime.class)
              : toUtc(rows.getObject(index, LocalDateTime.class));
      if (at == null) {
        return null;
      }
      return NODES.textNode(at.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).format(RFC3339_SECONDS));
    } catch (DateTimeException e) {
      return NODES.textNode(rows.getString(index)); // 'infinity' and other values outside java.time
    }
  }

  private static OffsetDateTime toUtc(LocalDateTime at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }

  private static JsonNode json(String text) throws SQLException {
    if (text == null) {
      return null;
    }
    try {
      return Json.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new SQLException("json column holds invalid JSON: " + e.getOriginalMessage(), e);
    }
  }
}
