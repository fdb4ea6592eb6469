// Shared plumbing for the interop scenarios: how a scenario connects, reports and ends.
//
// Contract with the Java side (interop/src/test/java/.../NodeWorker.java):
//   * the engine URL comes from III_URL, the worker name from WORKER_NAME;
//   * every line on stdout is one JSON object with an "event" key; nothing else goes to stdout;
//   * closing stdin asks a long-running scenario to shut down cleanly;
//   * every scenario ends by itself: LIFETIME_MS (default 120 s) bounds the whole process.
import { registerWorker } from 'iii-sdk'

// The SDK logs with console.log ("[iii] Worker registered with ID: …"); stdout carries only our
// JSON events, so its messages go to stderr, which the Java side keeps in a log file.
console.log = console.error
console.info = console.error
console.debug = console.error

export function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`)
}

export function env(name, fallback) {
  const value = process.env[name]
  if (value === undefined || value === '') {
    if (fallback === undefined) {
      fail(`environment variable ${name} is required`)
    }
    return fallback
  }
  return value
}

export function fail(message) {
  emit('fatal', { message })
  process.exit(2)
}

export function connect() {
  return registerWorker(env('III_URL'), {
    workerName: env('WORKER_NAME', `interop-node-${process.pid}`),
    // Telemetry would open a second socket to /otel; it is not what these tests are about.
    otel: { enabled: false },
    enableMetricsReporting: false,
    invocationTimeoutMs: Number(env('INVOCATION_TIMEOUT_MS', '30000')),
    reconnectionConfig: { initialDelayMs: 250, maxDelayMs: 2000 },
  })
}

/** The fields of a rejected trigger() that the Java side asserts on. */
export function describeError(error) {
  return {
    name: error?.name ?? null,
    code: error?.code ?? null,
    message: error?.message ?? String(error),
    function_id: error?.function_id ?? null,
  }
}

/** Resolves when stdin reaches end of file (the Java side closed it, or died). */
export function stdinClosed() {
  return new Promise((resolve) => {
    process.stdin.on('end', resolve)
    process.stdin.on('close', resolve)
    process.stdin.on('error', resolve)
    process.stdin.resume()
  })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Shuts the worker down and exits; the exit code tells the Java side how the scenario ended. */
export async function finish(iii, code = 0) {
  try {
    await Promise.race([iii.shutdown(), sleep(5000)])
  } finally {
    emit('exit', { code })
    process.exit(code)
  }
}

export function guardLifetime() {
  const lifetime = Number(env('LIFETIME_MS', '120000'))
  setTimeout(() => {
    emit('fatal', { message: `scenario still running after ${lifetime} ms` })
    process.exit(3)
  }, lifetime).unref()
  process.on('unhandledRejection', (reason) => {
    emit('fatal', { message: `unhandled rejection: ${reason?.stack ?? reason}` })
    process.exit(4)
  })
}
