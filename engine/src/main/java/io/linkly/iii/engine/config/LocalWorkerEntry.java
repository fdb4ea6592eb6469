package io.linkly.iii.engine.config;

/**
 * A {@code workers:} entry with a {@code worker_path}: a worker in a local directory that {@code
 * iii} starts and keeps running from its {@code iii.worker.yaml} manifest, as {@code iii worker
 * add ./DIR} records it. The engine itself only sees it connect, like any other worker.
 *
 * @param workerPath the directory, as written (relative to the config file's directory)
 * @param path where the entry is in the file, e.g. {@code workers[3]}, for error messages
 */
public record LocalWorkerEntry(String name, String workerPath, String path) {}
