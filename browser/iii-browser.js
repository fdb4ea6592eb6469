// iii-browser.js — a browser worker client for an iii v0.22.1 engine (ours or upstream's).
//
// One ES module, no build step, no dependencies: it needs only the global WebSocket,
// crypto.randomUUID and setTimeout, so it runs in any modern browser and in Node 20 started
// with --experimental-websocket. The wire protocol is spec/PROTOCOL.md §1–§4; the API mirrors
// what the tutorial's dashboard expects from upstream's iii-browser-sdk (LINKLY.md §7), which
// the npm registry we can reach does not have.
//
//   const worker = registerWorker('ws://localhost:3110?token=…')
//   worker.registerFunction('ui::on_click', async (event) => null)
//   worker.registerTrigger({ type: 'stream', function_id: 'ui::on_click', config: { stream_name: 'clicks', group_id: 'all' } })
//   const link = await worker.trigger({ function_id: 'link::create', payload: { url } })

const DEFAULT_INVOCATION_TIMEOUT_MS = 30_000

const DEFAULT_RECONNECTION = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  backoffMultiplier: 2,
  jitterFactor: 0.3,
  maxRetries: -1, // -1: for ever
})

// A socket that opened but never got `workerregistered` (an auth function that hangs, a proxy
// that swallows the upgrade) would otherwise leave the worker "connecting" for ever. Upstream's
// Node SDK gives the opening handshake the same 10 s.
const CONNECT_TIMEOUT_MS = 10_000

// Calls made while disconnected wait for the next connection. Each has a timeout, but a loop that
// calls faster than calls time out could still pile them up: past this many, trigger() rejects.
const MAX_QUEUED_CALLS = 1_000

const MAX_TIMER_MS = 2 ** 31 - 1

/** The actions a trigger() may carry (PROTOCOL.md §4.3, §4.4); no action means "call and wait". */
export const TriggerAction = Object.freeze({
  /** Fire and forget: trigger() resolves undefined once the call is sent; nothing comes back. */
  Void: () => ({ type: 'void' }),
  /** Hand the call to a queue: trigger() resolves with `{ messageReceiptId }` once it is queued. */
  Enqueue: ({ queue } = {}) => {
    if (typeof queue !== 'string' || queue === '') {
      throw new TypeError('TriggerAction.Enqueue needs { queue: "<name>" }')
    }
    return { type: 'enqueue', queue }
  },
})

/**
 * Why a trigger() failed: the engine's or the called function's error (`code` as sent, e.g.
 * `function_not_found`, `FORBIDDEN`, `invocation_failed`), or a local one: `timeout`,
 * `connection_lost`, `shutdown`, `queue_full`, `invalid_request` (no function id, or a payload
 * that is not JSON). trigger() rejects with nothing else.
 */
export class InvocationError extends Error {
  constructor({ code, message, function_id, stacktrace } = {}) {
    const codeText = typeof code === 'string' && code !== '' ? code : 'UNKNOWN'
    const reason = describe(message)
    // The message names the code and the function, so a bare `String(error)` or a console line
    // is enough to tell what failed where.
    const where = function_id && !reason.includes(function_id) ? ` (function '${function_id}')` : ''
    super(`${codeText}: ${reason}${where}`)
    this.name = 'InvocationError'
    this.code = codeText
    this.function_id = function_id ?? null
    /** The message as the engine or the function sent it, without the code and function id. */
    this.reason = reason
    if (typeof stacktrace === 'string') {
      this.stacktrace = stacktrace
    }
  }
}

/**
 * Connects a worker to the engine at `url` (ws:// or wss://) and keeps it connected: it
 * reconnects with backoff after any close, and every registration is replayed on every new
 * connection. Returns at once; watch `state` / `onStateChange` for the connection.
 */
export function registerWorker(url, options = {}) {
  return new BrowserWorker(url, options)
}

class BrowserWorker {
  #url
  #host
  #timeoutMs
  #reconnect

  #state = 'connecting'
  #workerId = null
  #reattachToken = null
  #listeners = new Set()

  #socket = null
  // What the engine said before it closed the socket ({code, message} of an `error` frame).
  #refusal = null
  #connectTimer = null
  #reconnectTimer = null
  // Once closed, why: what a trigger() made after that rejects with.
  #closedError = null
  // Failed attempts since the last *registered* connection. A socket that opens and is then
  // refused (RBAC) does not reset it, so a refusing engine is retried ever more slowly.
  #failures = 0

  // The replay set: what is sent again on every connection, functions before triggers.
  #functions = new Map() // id -> { handler, description, metadata }
  #triggers = new Map() // id -> { trigger_type, function_id, config, metadata }

  #queued = [] // calls waiting for a connection, oldest first
  #inFlight = new Map() // invocation_id -> call sent on the current socket, awaiting its result

  constructor(url, options) {
    const parsed = new URL(url) // throws on a malformed URL: a typo should not be retried for ever
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new TypeError(`registerWorker needs a ws:// or wss:// URL, got ${url}`)
    }
    this.#url = url
    // Messages name the host only: the URL's query may carry a token (?token=…).
    this.#host = parsed.host
    this.#timeoutMs = positiveOr(options.invocationTimeoutMs, DEFAULT_INVOCATION_TIMEOUT_MS)
    this.#reconnect = reconnectionConfig(options.reconnectionConfig)
    this.#open()
  }

  /** 'connecting' | 'connected' | 'disconnected' | 'unauthorized' | 'closed' */
  get state() {
    return this.#state
  }

  /** The id the engine gave the current (or, while disconnected, the last) connection; null before the first. */
  get workerId() {
    return this.#workerId
  }

  /** Calls `listener(state, detail)` on every change of `state`; returns a function that stops it. */
  onStateChange(listener) {
    if (typeof listener !== 'function') {
      throw new TypeError('onStateChange needs a function')
    }
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Serves `id`: the engine's calls run `handler(data, metadata)` and its return value (or
   * thrown error) goes back to the caller. Registering an id again replaces its handler.
   */
  registerFunction(id, handler, { description, metadata } = {}) {
    if (typeof id !== 'string' || id === '') {
      throw new TypeError('registerFunction needs a function id')
    }
    if (typeof handler !== 'function') {
      throw new TypeError(`registerFunction('${id}') needs a handler function`)
    }
    const entry = { handler, description, metadata }
    this.#functions.set(id, entry)
    if (this.#state === 'connected') {
      this.#send(registerFunctionFrame(id, entry))
    }
    return {
      id,
      unregister: () => {
        // Only the registration this handle made: a later registerFunction of the same id wins.
        if (this.#functions.get(id) !== entry) {
          return
        }
        this.#functions.delete(id)
        if (this.#state === 'connected') {
          this.#send({ type: 'unregisterfunction', id })
        }
      },
    }
  }

  /**
   * Binds a function to a trigger, e.g. `{ type: 'stream', function_id, config: { stream_name,
   * group_id } }`. The binding's id is a random UUID that stays the same across reconnects.
   */
  registerTrigger({ type, function_id, config, metadata } = {}) {
    if (typeof type !== 'string' || type === '') {
      throw new TypeError('registerTrigger needs a trigger type')
    }
    if (typeof function_id !== 'string' || function_id === '') {
      throw new TypeError('registerTrigger needs a function_id')
    }
    const id = crypto.randomUUID()
    // The engine drops a registertrigger without `config` (PROTOCOL.md §3.4), so none means {}.
    const entry = { trigger_type: type, function_id, config: config ?? {}, metadata }
    this.#triggers.set(id, entry)
    if (this.#state === 'connected') {
      this.#send(registerTriggerFrame(id, entry))
    }
    return {
      id,
      unregister: () => {
        if (!this.#triggers.delete(id)) {
          return
        }
        if (this.#state === 'connected') {
          this.#send({ type: 'unregistertrigger', id, trigger_type: type })
        }
      },
    }
  }

  /**
   * Calls a function through the engine. Resolves with its result (undefined when there is
   * none); with `TriggerAction.Void()` resolves undefined as soon as the call is sent. While
   * disconnected the call waits for the next connection; `timeoutMs` counts from this call.
   * Rejects only with an InvocationError.
   */
  trigger({ function_id, payload, action, timeoutMs } = {}) {
    if (typeof function_id !== 'string' || function_id === '') {
      return Promise.reject(new InvocationError({ code: 'invalid_request', message: 'trigger() needs a function_id' }))
    }
    if (this.#state === 'closed') {
      return Promise.reject(this.#closedError(function_id))
    }
    if (this.#state !== 'connected' && this.#queued.length >= MAX_QUEUED_CALLS) {
      return Promise.reject(
        new InvocationError({
          code: 'queue_full',
          message: `${MAX_QUEUED_CALLS} calls are already waiting for the connection`,
          function_id,
        }),
      )
    }
    return new Promise((resolve, reject) => {
      // setTimeout treats anything past 2^31 - 1 ms as 1 ms: clamp, so "very long" stays long.
      const limit = Math.min(positiveOr(timeoutMs, this.#timeoutMs), MAX_TIMER_MS)
      const call = {
        function_id,
        // The engine drops an invokefunction without `data`, and JSON has no undefined.
        data: payload === undefined ? null : payload,
        action: action ?? null,
        // void calls get no reply, so they carry no id to match one against.
        invocation_id: action?.type === 'void' ? undefined : crypto.randomUUID(),
        limit,
        deadline: Date.now() + limit,
        settled: false,
        resolve,
        reject,
      }
      call.timer = setTimeout(() => {
        this.#forget(call)
        settle(call, timeoutError(call))
      }, limit)
      if (this.#state === 'connected') {
        this.#dispatch(call)
      } else {
        this.#queued.push(call)
      }
    })
  }

  /**
   * Closes the worker for good: no more reconnects, every waiting or pending call rejects with
   * code `shutdown`, every timer is cleared (a Node process with nothing else to do exits).
   */
  shutdown() {
    if (this.#state === 'closed') {
      return
    }
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = null
    this.#dropSocket(1000, 'worker shut down')
    this.#closedError = (function_id) =>
      new InvocationError({ code: 'shutdown', message: 'the worker was shut down', function_id })
    this.#failCalls((call) => this.#closedError(call.function_id))
    this.#setState('closed', { reason: 'shutdown', message: 'shut down' })
  }

  // ------------------------------------------------------------------ connection

  #open() {
    let socket
    try {
      socket = new WebSocket(this.#url)
    } catch (error) {
      // e.g. a page's Content-Security-Policy: a failed attempt like any other
      this.#closed({ message: `cannot connect to ${this.#host}: ${describe(error?.message ?? error)}` })
      return
    }
    socket.binaryType = 'arraybuffer'
    this.#socket = socket
    this.#refusal = null
    // Every event checks that its socket is still the current one: a socket we already gave up
    // on (shutdown, a failed or timed-out attempt) must not touch the next one's state. The first
    // of 'close', 'error' or the connect timeout ends the socket; the others then find it stale.
    const lost = (detail) => {
      if (this.#socket !== socket) {
        return
      }
      this.#closed(detail)
      if (socket.readyState !== WebSocket.CLOSED) {
        socket.close()
      }
    }
    socket.addEventListener('message', (event) => {
      if (this.#socket === socket) {
        this.#onFrame(event.data)
      }
    })
    socket.addEventListener('close', (event) => lost({ closeCode: event.code, message: closeMessage(event) }))
    // Browsers follow an 'error' with a 'close'. Node 20's WebSocket does not when the connection
    // is refused: the socket stays CONNECTING for ever and no 'close' comes. So an error ends the
    // attempt by itself.
    socket.addEventListener('error', () =>
      lost({ message: socket.readyState === WebSocket.CONNECTING ? `cannot connect to ${this.#host}` : 'connection failed' }),
    )
    // Nor can we count on any event when the network swallows the attempt.
    this.#connectTimer = setTimeout(
      () => lost({ message: `no workerregistered within ${CONNECT_TIMEOUT_MS} ms` }),
      CONNECT_TIMEOUT_MS,
    )
  }

  /** The current socket is gone (or never opened): fail what was sent on it, then retry. */
  #closed(detail) {
    clearTimeout(this.#connectTimer)
    this.#connectTimer = null
    this.#socket = null
    // What was sent on the dead socket will never be answered: the engine halts a leaving
    // worker's calls (PROTOCOL.md §1.8). Queued calls were never sent and keep waiting.
    for (const call of this.#inFlight.values()) {
      clearTimeout(call.timer)
      settle(
        call,
        new InvocationError({
          code: 'connection_lost',
          message: 'the connection to the engine closed before the result arrived',
          function_id: call.function_id,
        }),
      )
    }
    this.#inFlight.clear()

    const { maxRetries } = this.#reconnect
    if (maxRetries >= 0 && this.#failures >= maxRetries) {
      this.#closedError = (function_id) =>
        new InvocationError({ code: 'connection_lost', message: 'gave up reconnecting', function_id })
      this.#failCalls((call) => this.#closedError(call.function_id))
      this.#setState('closed', { reason: 'max_retries', message: `gave up after ${this.#failures} reconnection attempts` })
      return
    }
    const retryInMs = this.#backoff(this.#failures)
    this.#failures += 1
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null
      // A refused worker stays 'unauthorized' while it retries: a UI showing a login prompt
      // should not flicker to 'connecting' and back on every attempt.
      if (this.#state !== 'unauthorized') {
        this.#setState('connecting', { attempt: this.#failures })
      }
      this.#open()
    }, retryInMs)

    const refusal = this.#refusal
    if (refusal?.code === 'AUTH_ERROR') {
      this.#setState('unauthorized', { code: refusal.code, message: refusal.message, retryInMs })
    } else if (refusal) {
      this.#setState('disconnected', { ...detail, message: `${refusal.code}: ${refusal.message}`, retryInMs })
    } else {
      this.#setState('disconnected', { ...detail, retryInMs })
    }
  }

  /**
   * The wait before retry number `failures` + 1: exponential, capped, plus up to `jitterFactor`
   * of it on top, so that many tabs cut off together do not come back together. The jitter only
   * ever adds: no attempt comes sooner than the backoff says.
   */
  #backoff(failures) {
    const { initialDelayMs, maxDelayMs, backoffMultiplier, jitterFactor } = this.#reconnect
    const base = Math.min(initialDelayMs * backoffMultiplier ** failures, maxDelayMs)
    return Math.round(base * (1 + jitterFactor * Math.random()))
  }

  #dropSocket(code, reason) {
    clearTimeout(this.#connectTimer)
    this.#connectTimer = null
    const socket = this.#socket
    this.#socket = null // its close event is ignored from now on
    if (socket && socket.readyState !== WebSocket.CLOSING && socket.readyState !== WebSocket.CLOSED) {
      socket.close(code, reason)
    }
  }

  /** The engine accepted the connection: replay the registrations, send what waited, and say so. */
  #registered(frame) {
    clearTimeout(this.#connectTimer)
    this.#connectTimer = null
    this.#failures = 0
    // Our previous connection may still be alive engine-side (a half-open socket). Reattaching
    // makes the engine drop it, with its trigger bindings, before the replay below: otherwise a
    // stream event could reach this worker twice, once per binding.
    if (this.#workerId && this.#reattachToken) {
      this.#send({ type: 'reattach', previous_worker_id: this.#workerId, reattach_token: this.#reattachToken })
    }
    this.#workerId = typeof frame.worker_id === 'string' ? frame.worker_id : null
    this.#reattachToken = typeof frame.reattach_token === 'string' ? frame.reattach_token : null
    for (const [id, entry] of this.#functions) {
      this.#send(registerFunctionFrame(id, entry))
    }
    for (const [id, entry] of this.#triggers) {
      this.#send(registerTriggerFrame(id, entry))
    }
    const waiting = this.#queued
    this.#queued = []
    for (const call of waiting) {
      this.#dispatch(call)
    }
    this.#setState('connected', { workerId: this.#workerId })
  }

  #setState(state, detail) {
    if (this.#state === state) {
      return
    }
    this.#state = state
    for (const listener of [...this.#listeners]) {
      try {
        listener(state, detail)
      } catch (error) {
        // One broken listener must not keep the others (or the connection) from working.
        console.error('[iii-browser] onStateChange listener threw:', error)
      }
    }
  }

  // ------------------------------------------------------------------ frames

  #send(frame) {
    const socket = this.#socket
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return false
    }
    socket.send(JSON.stringify(frame))
    return true
  }

  #onFrame(raw) {
    let frame
    try {
      frame = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw))
    } catch {
      return // the engine only sends JSON; anything else is noise, as it is for the engine
    }
    switch (frame?.type) {
      case 'workerregistered':
        this.#registered(frame)
        break
      case 'invocationresult':
        this.#onResult(frame)
        break
      case 'invokefunction':
        this.#onInvoke(frame)
        break
      case 'triggerregistrationresult':
        if (frame.error) {
          // Upstream's SDKs only log this too: the binding stays in the replay set and may work
          // after the next connection (e.g. once a conflicting route is gone).
          console.error(
            `[iii-browser] trigger ${frame.id} (${frame.trigger_type} -> ${frame.function_id}) was refused: ${describe(frame.error.message)}`,
          )
        }
        break
      case 'error':
        // Sent once before the engine closes a connection it refuses (RBAC auth, PROTOCOL.md §1.3).
        this.#refusal = {
          code: typeof frame.error?.code === 'string' ? frame.error.code : 'UNKNOWN',
          message: describe(frame.error?.message),
        }
        break
      case 'ping':
        this.#send({ type: 'pong' })
        break
      default:
        break // pong, and anything a later engine may add
    }
  }

  // ------------------------------------------------------------------ outgoing calls

  /** Sends a call on the current socket; the caller has checked that it is connected. */
  #dispatch(call) {
    const frame = { type: 'invokefunction', function_id: call.function_id, data: call.data }
    if (call.invocation_id) {
      frame.invocation_id = call.invocation_id
      // How long we still wait, so that the engine can give up at the same moment (our engine
      // reads it; upstream ignores it).
      frame.timeout_ms = Math.max(1, call.deadline - Date.now())
    }
    if (call.action) {
      frame.action = call.action
    }
    let text
    try {
      text = JSON.stringify(frame)
    } catch (error) {
      clearTimeout(call.timer)
      settle(
        call,
        new InvocationError({
          code: 'invalid_request',
          message: `payload is not JSON: ${describe(error?.message ?? error)}`,
          function_id: call.function_id,
        }),
      )
      return
    }
    this.#socket.send(text)
    if (call.invocation_id) {
      this.#inFlight.set(call.invocation_id, call)
    } else {
      clearTimeout(call.timer)
      settle(call, undefined)
    }
  }

  #onResult(frame) {
    const call = this.#inFlight.get(frame.invocation_id)
    if (!call) {
      return // timed out already, or a reply to a call we never made
    }
    this.#inFlight.delete(frame.invocation_id)
    clearTimeout(call.timer)
    if (frame.error?.code === 'invocation_timeout') {
      // Our engine gave up at the deadline we sent it (timeout_ms): the same timeout as our own
      // timer's, whichever of the two fired first.
      settle(call, timeoutError(call))
    } else if (frame.error != null) {
      const { code, message, stacktrace } = frame.error
      settle(call, new InvocationError({ code, message, stacktrace, function_id: call.function_id }))
    } else {
      settle(call, frame.result === null ? undefined : frame.result)
    }
  }

  /** Removes a call from wherever it waits (queue or in flight). */
  #forget(call) {
    if (call.invocation_id) {
      this.#inFlight.delete(call.invocation_id)
    }
    const index = this.#queued.indexOf(call)
    if (index >= 0) {
      this.#queued.splice(index, 1)
    }
  }

  #failCalls(errorFor) {
    const calls = [...this.#queued, ...this.#inFlight.values()]
    this.#queued = []
    this.#inFlight.clear()
    for (const call of calls) {
      clearTimeout(call.timer)
      settle(call, errorFor(call))
    }
  }

  // ------------------------------------------------------------------ incoming calls

  async #onInvoke(frame) {
    // The answer goes back on the socket the call came in on, and only while it is current: a
    // new connection's engine knows nothing of the old call.
    const socket = this.#socket
    const { invocation_id, function_id } = frame
    const entry = this.#functions.get(function_id)
    let reply
    if (!entry) {
      reply = { error: { code: 'function_not_found', message: 'Function not found' } }
    } else {
      try {
        const result = await entry.handler(frame.data, frame.metadata)
        reply = result === undefined ? {} : { result }
      } catch (error) {
        reply = { error: errorBody(error) }
      }
    }
    if (invocation_id == null) {
      if (reply.error) {
        // A void call has no caller to tell; the console is the only trace it leaves.
        console.error(`[iii-browser] ${function_id} failed (void call): ${reply.error.message}`)
      }
      return
    }
    if (socket !== this.#socket) {
      return
    }
    let text
    try {
      text = JSON.stringify({ type: 'invocationresult', invocation_id, function_id, ...reply })
    } catch (error) {
      text = JSON.stringify({
        type: 'invocationresult',
        invocation_id,
        function_id,
        error: { code: 'invocation_failed', message: `result is not JSON: ${describe(error?.message ?? error)}` },
      })
    }
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(text)
    }
  }
}

// ------------------------------------------------------------------ helpers

function registerFunctionFrame(id, { description, metadata }) {
  const frame = { type: 'registerfunction', id }
  if (description !== undefined) frame.description = description
  if (metadata !== undefined) frame.metadata = metadata
  return frame
}

function registerTriggerFrame(id, { trigger_type, function_id, config, metadata }) {
  const frame = { type: 'registertrigger', id, trigger_type, function_id, config }
  if (metadata !== undefined) frame.metadata = metadata
  return frame
}

/**
 * The wire error for whatever a handler threw: its own `code` when it has one (so a handler can
 * answer `LINK_EXISTS` or relay a nested call's `FORBIDDEN`), else `invocation_failed`.
 */
function errorBody(thrown) {
  const code = typeof thrown?.code === 'string' && thrown.code !== '' ? thrown.code : 'invocation_failed'
  // A relayed InvocationError keeps the original message, not one prefixed with its code twice.
  const message = describe(thrown instanceof InvocationError ? thrown.reason : (thrown?.message ?? thrown))
  const body = { code, message }
  const stack = thrown?.stacktrace ?? thrown?.stack
  if (typeof stack === 'string') {
    body.stacktrace = stack
  }
  return body
}

/** Text for any value, never "[object Object]". */
function describe(value) {
  if (typeof value === 'string') {
    return value
  }
  if (value === undefined || value === null) {
    return 'no message'
  }
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function closeMessage(event) {
  const reason = event.reason ? `: ${event.reason}` : ''
  return `connection closed (${event.code}${reason})`
}

function timeoutError(call) {
  return new InvocationError({ code: 'timeout', message: `no result within ${call.limit} ms`, function_id: call.function_id })
}

function settle(call, outcome) {
  if (call.settled) {
    return
  }
  call.settled = true
  if (outcome instanceof Error) {
    call.reject(outcome)
  } else {
    call.resolve(outcome)
  }
}

/**
 * The reconnection settings with every missing or unusable value at its default: a NaN or
 * negative delay would make setTimeout fire at once and the worker hammer the engine.
 */
function reconnectionConfig(given) {
  const number = (key, ok) => (typeof given?.[key] === 'number' && ok(given[key]) ? given[key] : DEFAULT_RECONNECTION[key])
  return {
    initialDelayMs: number('initialDelayMs', (v) => v > 0 && Number.isFinite(v)),
    maxDelayMs: number('maxDelayMs', (v) => v > 0 && Number.isFinite(v)),
    backoffMultiplier: number('backoffMultiplier', (v) => v >= 1 && Number.isFinite(v)),
    jitterFactor: number('jitterFactor', (v) => v >= 0 && Number.isFinite(v)),
    maxRetries: number('maxRetries', (v) => Number.isInteger(v) && v >= -1),
  }
}

function positiveOr(value, fallback) {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}
