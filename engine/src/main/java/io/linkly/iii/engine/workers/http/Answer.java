package io.linkly.iii.engine.workers.http;

/** How a request's answer goes out: kept alive or not, CORS for its origin, with a body or not (HEAD). */
record Answer(boolean keepAlive, String origin, boolean head) {

  Answer closing() {
    return new Answer(false, origin, head);
  }
}
