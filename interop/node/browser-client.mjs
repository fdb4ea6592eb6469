// Drives browser/iii-browser.js (our own browser worker client) for BrowserClientIT:
//   node --experimental-websocket browser-client.mjs
// The same stdout/stdin contract as lib.mjs (one JSON event a line out, one JSON command a line
// in), but self-contained: lib.mjs imports the npm iii-sdk, and this client must be testable, and
// prove it works, with no node_modules at all — as in a browser.
//
// Environment: III_URL (required), RECONNECT (JSON reconnectionConfig), INVOCATION_TIMEOUT_MS,
// PRE_REGISTER (comma-separated function ids registered with the "echo" behaviour right after
// registerWorker() returns, before the socket can be open), LIFETIME_MS (default 120 s).
//
// Events: state {state, detail, workerId} on every onStateChange; pre-registered {id, state};
// called {function_id, data, metadata} for every handler run; registered / unregistered;
// trigger-registered {tag, id}; for each call: calling {tag, state} when it starts, then outcome
// {tag, failed: false, is_undefined, is_null, value, elapsed_ms} or {tag, failed: true, name,
// code, message, function_id, string, is_invocation_error, elapsed_ms}; shut-down {state};
// after-shutdown (the outcome of a call made right after shutdown()).
import { createInterface } from 'node:readline'
import { InvocationError, TriggerAction, registerWorker } from '../../browser/iii-browser.js'

function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`)
}

function fail(message) {
  emit('fatal', { message })
  process.exit(2)
}

const url = process.env.III_URL || fail('environment variable III_URL is required')
const lifetime = Number(process.env.LIFETIME_MS || '120000')
// unref: the guard itself must not keep the process alive — the shutdown scenarios prove that
// the client, once shut down, leaves nothing that would.
setTimeout(() => fail(`scenario still running after ${lifetime} ms`), lifetime).unref()
process.on('unhandledRejection', (reason) => fail(`unhandled rejection: ${reason?.stack ?? reason}`))

const options = {}
if (process.env.RECONNECT) options.reconnectionConfig = JSON.parse(process.env.RECONNECT)
if (process.env.INVOCATION_TIMEOUT_MS) options.invocationTimeoutMs = Number(process.env.INVOCATION_TIMEOUT_MS)
const worker = registerWorker(url, options)
worker.onStateChange((state, detail) => emit('state', { state, detail: detail ?? null, workerId: worker.workerId }))

/** What a registered function does when called; every call is reported as "called" first. */
const behaviours = {
  echo: (data) => ({ echo: data }),
  // the dashboard's ui::on_click returns null
  record: () => null,
  fail: () => {
    throw new Error('boom')
  },
  'fail-coded': () => {
    throw Object.assign(new Error('code taken'), { code: 'LINK_EXISTS' })
  },
  'throw-string': () => {
    throw 'just a string' // eslint-disable-line no-throw-literal
  },
  // a handler that calls on through the engine: its InvocationError goes back with its own code
  relay: async (data) => worker.trigger({ function_id: data.function_id, payload: data.payload ?? {} }),
}

const functions = new Map() // id -> handle
const triggers = new Map() // tag -> handle

function registerFunction(id, behaviour = 'echo', extra = {}) {
  const run = behaviours[behaviour] ?? fail(`unknown behaviour ${behaviour}`)
  const handle = worker.registerFunction(
    id,
    async (data, metadata) => {
      emit('called', { function_id: id, data, metadata: metadata ?? null })
      return run(data)
    },
    extra,
  )
  functions.set(id, handle)
  return handle
}

for (const id of (process.env.PRE_REGISTER ?? '').split(',').filter(Boolean)) {
  registerFunction(id, 'echo', { description: `${id}, registered before the socket opened`, metadata: { pre: true } })
  emit('pre-registered', { id, state: worker.state })
}

function actionOf(command) {
  if (command.action === undefined) return undefined
  if (command.action === 'void') return TriggerAction.Void()
  if (command.action === 'enqueue') return TriggerAction.Enqueue({ queue: command.queue })
  return fail(`unknown action ${command.action}`)
}

/** Starts a call and reports its outcome later: the next command does not wait for it. */
function call(command, event = 'outcome') {
  emit('calling', { tag: command.tag ?? null, state: worker.state })
  const started = Date.now()
  const request = { function_id: command.function_id, payload: command.payload }
  const action = actionOf(command)
  if (action) request.action = action
  if (command.timeoutMs !== undefined) request.timeoutMs = command.timeoutMs
  worker.trigger(request).then(
    (value) =>
      emit(event, {
        tag: command.tag ?? null,
        failed: false,
        function_id: command.function_id,
        is_undefined: value === undefined,
        is_null: value === null,
        value: value ?? null,
        elapsed_ms: Date.now() - started,
      }),
    (error) =>
      emit(event, {
        tag: command.tag ?? null,
        failed: true,
        name: error?.name ?? null,
        code: error?.code ?? null,
        message: error?.message ?? null,
        function_id: error?.function_id ?? null,
        string: String(error),
        is_invocation_error: error instanceof InvocationError,
        elapsed_ms: Date.now() - started,
      }),
  )
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })

const commands = {
  'register-function'(c) {
    registerFunction(c.id, c.behaviour, { description: c.description, metadata: c.metadata })
    emit('registered', { id: c.id, state: worker.state })
  },
  'unregister-function'(c) {
    const handle = functions.get(c.id) ?? fail(`no function ${c.id} registered here`)
    handle.unregister()
    functions.delete(c.id)
    emit('unregistered', { id: c.id })
  },
  'register-trigger'(c) {
    const handle = worker.registerTrigger({ type: c.type, function_id: c.function_id, config: c.config })
    triggers.set(c.tag, handle)
    emit('trigger-registered', { tag: c.tag, id: handle.id })
  },
  'unregister-trigger'(c) {
    const handle = triggers.get(c.tag) ?? fail(`no trigger tagged ${c.tag}`)
    handle.unregister()
    triggers.delete(c.tag)
    emit('trigger-unregistered', { tag: c.tag, id: handle.id })
  },
  call(c) {
    call(c)
  },
  shutdown() {
    worker.shutdown()
    emit('shut-down', { state: worker.state })
    call({ tag: 'after-shutdown', function_id: 'anything::at_all', payload: {} }, 'after-shutdown')
    // Stop reading stdin too: from here on nothing of ours is left to keep Node running, so the
    // process ends by itself exactly when the client has no socket and no timer left.
    lines.close()
    process.stdin.destroy()
  },
}

lines.on('line', (line) => {
  if (line.trim() === '') return
  let command
  try {
    command = JSON.parse(line)
  } catch {
    fail(`stdin line is not JSON: ${line}`)
  }
  const run = commands[command?.command] ?? fail(`unknown command ${JSON.stringify(command?.command)}`)
  try {
    run(command)
  } catch (error) {
    fail(`command ${command.command} failed: ${error?.stack ?? error}`)
  }
})
// The Java side closed stdin (or died) without a shutdown command: end the worker the same way.
lines.on('close', () => {
  if (worker.state !== 'closed') worker.shutdown()
})
