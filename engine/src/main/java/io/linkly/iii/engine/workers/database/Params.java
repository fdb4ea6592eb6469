package io.linkly.iii.engine.workers.database;

import com.fasterxml.jackson.databind.JsonNode;
import io.linkly.iii.protocol.Json;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON parameters as SQL values (LINKLY.md §6): null, booleans, integers, floats and strings map to
 * their SQL kinds; arrays and objects are bound as JSON text. An integer outside 64 bits or a
 * non-finite number is refused ({@code INVALID_PARAM}) rather than silently rounded.
 */
final class Params {

  sealed interface Param permits Null, Bool, Int, Float, Text {}

  record Null() implements Param {}

  record Bool(boolean value) implements Param {}

  record Int(long value) implements Param {}

  record Float(double value) implements Param {}

  /** A string, or an array or object as its JSON text ({@code json} true). */
  record Text(String value, boolean json) implements Param {}

  private static final Null NULL = new Null();

  private Params() {}

  static List<Param> of(JsonNode params) throws DatabaseException {
    List<Param> out = new ArrayList<>();
    if (params == null) {
      return out;
    }
    for (int i = 0; i < params.size(); i++) {
      out.add(of(i, params.get(i)));
    }
    return out;
  }

  private static Param of(int index, JsonNode value) throws DatabaseException {
    return switch (value.getNodeType()) {
      case NULL, MISSING -> NULL;
      case BOOLEAN -> new Bool(value.booleanValue());
      case STRING -> new Text(value.textValue(), false);
      case ARRAY, OBJECT -> new Text(Json.write(value), true);
      case NUMBER -> number(index, value);
      default -> throw DatabaseErrors.invalidParam(index, "unsupported value " + value);
    };
  }

  private static Param number(int index, JsonNode value) throws DatabaseException {
    if (value.isIntegralNumber()) {
      if (!value.canConvertToLong()) {
        throw DatabaseErrors.invalidParam(index, "number " + value + " not representable as i64");
      }
      return new Int(value.longValue());
    }
    double d = value.doubleValue();
    if (!Double.isFinite(d)) {
      throw DatabaseErrors.invalidParam(index, "number " + value + " not representable as f64");
    }
    return new Float(d);
  }

  /** Binds in SQLite's terms: booleans are 0/1, JSON is TEXT. */
  static void bindSqlite(PreparedStatement ps, List<Param> params) throws SQLException {
    for (int i = 0; i < params.size(); i++) {
      int at = i + 1;
      switch (params.get(i)) {
        case Null n -> ps.setNull(at, Types.NULL);
        case Bool b -> ps.setInt(at, b.value() ? 1 : 0);
        case Int v -> ps.setLong(at, v.value());
        case Float f -> ps.setDouble(at, f.value());
        case Text t -> ps.setString(at, t.value());
      }
    }
  }

  /**
   * Binds for PostgreSQL as untyped text, so the server infers each parameter's type from the
   * statement, as it does for upstream's driver (which prepares first, then converts): {@code 42}
   * fits an int4, int8 or numeric column, an ISO string a timestamptz, a JSON object a jsonb.
   * {@code order[k]} is the parameter bound at the k-th {@code ?}.
   */
  static void bindPostgres(PreparedStatement ps, List<Param> params, int[] order) throws SQLException {
    for (int k = 0; k < order.length; k++) {
      int at = k + 1;
      switch (params.get(order[k])) {
        case Null n -> ps.setNull(at, Types.OTHER);
        case Bool b -> ps.setObject(at, Boolean.toString(b.value()), Types.OTHER);
        case Int v -> ps.setObject(at, Long.toString(v.value()), Types.OTHER);
        case Float f -> ps.setObject(at, Double.toString(f.value()), Types.OTHER);
        case Text t -> ps.setObject(at, t.value(), Types.OTHER);
      }
    }
  }
}
