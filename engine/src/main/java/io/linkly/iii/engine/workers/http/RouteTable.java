package io.linkly.iii.engine.workers.http;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * HTTP routes as a trie of path segments, so a lookup costs one map step per segment however many
 * routes exist. Static segments win over {@code :param} segments (as upstream's router does).
 *
 * <p>Reads are lock-free: every change publishes a new immutable trie. Route changes are rare;
 * lookups happen on every request.
 */
final class RouteTable {

  /** A registered route: the binding behind it and the pattern as the worker wrote it. */
  record Route(String method, String pattern, List<String> segments, String bindingId, HttpBinding binding) {}

  /** A lookup hit: the route plus the captured path parameters (not percent-decoded, as upstream). */
  record Match(Route route, Map<String, String> pathParams) {}

  private static final class Node {
    final Map<String, Node> statics;
    final Node param;
    final String paramName;
    final Map<String, Route> routes; // by method

    Node(Map<String, Node> statics, Node param, String paramName, Map<String, Route> routes) {
      this.statics = statics;
      this.param = param;
      this.paramName = paramName;
      this.routes = routes;
    }

    static Node empty() {
      return new Node(Map.of(), null, null, Map.of());
    }
  }

  private final ReentrantLock writes = new ReentrantLock();
  private volatile Node root = Node.empty();

  /** Splits a path into its non-empty segments. */
  static List<String> segments(String path) {
    return List.of(path.split("/")).stream().filter(s -> !s.isEmpty()).toList();
  }

  static boolean isParam(String segment) {
    return segment.length() > 1 && segment.charAt(0) == ':';
  }

  /**
   * Adds or replaces the route for {@code method + pattern}. Fails when a route of the same shape
   * uses different parameter names, which upstream rejects as a conflict.
   */
  void add(Route route) throws RouteConflictException {
    writes.lock();
    try {
      root = insert(root, route, 0);
    } finally {
      writes.unlock();
    }
  }

  private Node insert(Node node, Route route, int depth) throws RouteConflictException {
    if (depth == route.segments().size()) {
      Map<String, Route> routes = new LinkedHashMap<>(node.routes);
      routes.put(route.method(), route);
      return new Node(node.statics, node.param, node.paramName, Map.copyOf(routes));
    }
    String segment = route.segments().get(depth);
    if (isParam(segment)) {
      String name = segment.substring(1);
      if (node.param != null && !node.paramName.equals(name) && hasRoute(node.param, route, depth + 1)) {
        throw new RouteConflictException(
            "Route '" + route.method() + " " + route.pattern() + "' conflicts with already-registered route '"
                + route.method() + " " + conflicting(node.param, route, depth + 1)
                + "': routes with identical structure but different path-parameter names are not supported");
      }
      Node child = node.param == null ? Node.empty() : node.param;
      return new Node(node.statics, insert(child, route, depth + 1), name, node.routes);
    }
    Map<String, Node> statics = new HashMap<>(node.statics);
    statics.put(segment, insert(statics.getOrDefault(segment, Node.empty()), route, depth + 1));
    return new Node(Map.copyOf(statics), node.param, node.paramName, node.routes);
  }

  /** True when the subtree holds a route with the same method and remaining shape. */
  private static boolean hasRoute(Node node, Route route, int depth) {
    return find(node, route, depth) != null;
  }

  private static String conflicting(Node node, Route route, int depth) {
    Route existing = find(node, route, depth);
    return existing == null ? "?" : existing.pattern();
  }

  private static Route find(Node node, Route route, int depth) {
    if (node == null) {
      return null;
    }
    if (depth == route.segments().size()) {
      return node.routes.get(route.method());
    }
    String segment = route.segments().get(depth);
    return isParam(segment) ? find(node.param, route, depth + 1) : find(node.statics.get(segment), route, depth + 1);
  }

  /** Removes the route for {@code method + pattern} if it still belongs to {@code bindingId}. */
  void remove(String method, List<String> segments, String bindingId) {
    writes.lock();
    try {
      root = delete(root, method, segments, 0, bindingId);
    } finally {
      writes.unlock();
    }
  }

  private static Node delete(Node node, String method, List<String> segments, int depth, String bindingId) {
    if (node == null) {
      return null;
    }
    if (depth == segments.size()) {
      Route existing = node.routes.get(method);
      if (existing == null || !existing.bindingId().equals(bindingId)) {
        return node;
      }
      Map<String, Route> routes = new LinkedHashMap<>(node.routes);
      routes.remove(method);
      return new Node(node.statics, node.param, node.paramName, Map.copyOf(routes));
    }
    String segment = segments.get(depth);
    if (isParam(segment)) {
      return new Node(node.statics, delete(node.param, method, segments, depth + 1, bindingId), node.paramName, node.routes);
    }
    Node child = node.statics.get(segment);
    if (child == null) {
      return node;
    }
    Map<String, Node> statics = new HashMap<>(node.statics);
    statics.put(segment, delete(child, method, segments, depth + 1, bindingId));
    return new Node(Map.copyOf(statics), node.param, node.paramName, node.routes);
  }

  /**
   * Finds the route for a request path; static segments are tried before parameters. Static
   * segments are compared with the {@code decoded} segments; parameters capture the {@code raw}
   * ones, not percent-decoded, as upstream hands them to handlers.
   */
  Optional<Match> match(String method, List<String> raw, List<String> decoded) {
    Route route = lookup(root, method, decoded, 0);
    if (route == null) {
      return Optional.empty();
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < route.segments().size(); i++) {
      String segment = route.segments().get(i);
      if (isParam(segment)) {
        params.put(segment.substring(1), raw.get(i));
      }
    }
    return Optional.of(new Match(route, params));
  }

  private static Route lookup(Node node, String method, List<String> parts, int depth) {
    if (node == null) {
      return null;
    }
    if (depth == parts.size()) {
      return node.routes.get(method);
    }
    Route hit = lookup(node.statics.get(parts.get(depth)), method, parts, depth + 1);
    return hit != null ? hit : lookup(node.param, method, parts, depth + 1);
  }

  /**
   * The methods some route serves for this (decoded) path, for 405's {@code Allow}; empty means
   * 404. HEAD is in it wherever GET is, because GET routes answer HEAD.
   */
  SortedSet<String> allowedMethods(List<String> decoded) {
    SortedSet<String> methods = new TreeSet<>();
    collectMethods(root, decoded, 0, methods);
    if (methods.contains("GET")) {
      methods.add("HEAD");
    }
    return methods;
  }

  private static void collectMethods(Node node, List<String> parts, int depth, SortedSet<String> into) {
    if (node == null) {
      return;
    }
    if (depth == parts.size()) {
      into.addAll(node.routes.keySet());
      return;
    }
    collectMethods(node.statics.get(parts.get(depth)), parts, depth + 1, into);
    collectMethods(node.param, parts, depth + 1, into);
  }

  static final class RouteConflictException extends Exception {
    RouteConflictException(String message) {
      super(message, null, false, false);
    }
  }
}
