// Shared plumbing for the interop scenarios: how a scenario connects, reports and ends.
//
// Contract with the Java side (interop/src/test/java/.../NodeWorker.java):
//   * the engine URL comes from III_URL, the worker name from WORKER_NAME;
//   * every line on stdout is one JSON object with an "event" key; nothing else goes to stdout;
//   * closing stdin asks a long-running scenario to shut down cleanly;
//   * every scenario ends by itself: LIFETIME_MS (default 120 s) bounds the whole process;
//   * a scenario that takes commands reads them from stdin, one JSON object a line
//     ({"command": "<name>", …}), and runs them one after the other (see commands()).
import { createInterface } from 'node:readline'
import { format } from 'node:util'
import { TriggerAction, registerWorker } from 'iii-sdk'

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

/**
 * Makes one trigger() call described by {function_id, payload, action?: "void" | "enqueue",
 * queue? (with "enqueue"), timeoutMs?, metadata?} and reports its outcome as a "result" or "error"
 * event carrying `fields` too. A result says whether the SDK resolved undefined or null, which
 * JSON alone cannot show.
 */
export async function callAndReport(iii, call, fields = {}) {
  const request = { function_id: call.function_id, payload: call.payload }
  if (call.action === 'void') {
    request.action = TriggerAction.Void()
  } else if (call.action === 'enqueue') {
    request.action = TriggerAction.Enqueue({ queue: call.queue })
  } else if (call.action !== undefined) {
    fail(`unknown action ${JSON.stringify(call.action)} (expected "void" or "enqueue")`)
  }
  if (call.timeoutMs !== undefined) {
    request.timeoutMs = call.timeoutMs
  }
  if (call.metadata !== undefined) {
    request.metadata = call.metadata
  }
  try {
    const value = await iii.trigger(request)
    emit('result', {
      ...fields,
      function_id: call.function_id,
      is_undefined: value === undefined,
      is_null: value === null,
      value: value === undefined ? null : value,
    })
  } catch (error) {
    emit('error', { ...fields, function_id: call.function_id, ...describeError(error) })
  }
}

/**
 * Runs the commands that arrive on stdin ({"command": name, …} a line) with `handlers[name]`,
 * one at a time, in order; resolves once stdin has ended and the last command has finished. A
 * line that is not a known command, or a handler that throws, is fatal: the Java side sees it at
 * once rather than waiting for an event that will never come.
 */
export function commands(handlers) {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
    let queue = Promise.resolve()
    lines.on('line', (line) => {
      if (line.trim() === '') {
        return
      }
      queue = queue.then(async () => {
        let request
        try {
          request = JSON.parse(line)
        } catch {
          fail(`stdin line is not JSON: ${line}`)
        }
        const handler = handlers[request?.command]
        if (typeof handler !== 'function') {
          fail(`unknown command ${JSON.stringify(request?.command)}; known: ${Object.keys(handlers).join(', ')}`)
        }
        try {
          await handler(request)
        } catch (error) {
          fail(`command ${request.command} failed: ${error?.stack ?? error}`)
        }
      })
    })
    lines.on('close', () => queue.then(resolve))
  })
}

/**
 * Reports every console.error line (the SDK's way of telling a worker that, e.g., a trigger
 * registration failed) as a "console-error" event, and still writes it to stderr. Only
 * console.error itself: console.log, redirected to stderr above, is not captured.
 */
export function captureConsoleErrors() {
  const original = console.error
  console.error = (...args) => {
    emit('console-error', { message: format(...args) })
    original(...args)
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
