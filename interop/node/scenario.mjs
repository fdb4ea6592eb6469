// One Node worker of an interop test, built on the unmodified npm iii-sdk@0.22.1:
//   node scenario.mjs <serve|call|list-functions|trigger-provider|trigger-consumer|bind|http-route|takeover>
// See lib.mjs for the stdout/stdin contract with the Java tests.
import { TriggerAction } from 'iii-sdk'
import {
  callAndReport,
  captureConsoleErrors,
  commands,
  connect,
  describeError,
  emit,
  env,
  fail,
  finish,
  guardLifetime,
  sleep,
  stdinClosed,
} from './lib.mjs'

/** The JSON-visible parts of an http trigger's request object, as the handler got it. */
function describeRequest(request) {
  return {
    keys: Object.keys(request ?? {}).sort(),
    path: request?.path ?? null,
    method: request?.method ?? null,
    path_params: request?.path_params ?? null,
    query_params: request?.query_params ?? null,
    headers: request?.headers ?? null,
    body_is_undefined: request?.body === undefined,
    body: request?.body ?? null,
    trigger: request?.trigger ?? null,
  }
}

const scenarios = {
  // The tutorial's uploader (LINKLY.md Ch. 6, test-channels/import-links.js) as written there:
  // registerWorker as "uploader", createChannel, write the CSV in CSV, end the writer, trigger
  // bulk-importer::import_csv {reader}, report the result, shut down.
  async 'tutorial-uploader'() {
    const { createChannel } = await import('iii-sdk/helpers')
    const iii = connect()
    const channel = await createChannel(iii)
    channel.writer.stream.write(Buffer.from(env('CSV')))
    channel.writer.stream.end()
    try {
      emit('result', { value: await iii.trigger({ function_id: 'bulk-importer::import_csv', payload: { reader: channel.readerRef } }) })
    } catch (error) {
      emit('error', describeError(error))
    }
    await finish(iii)
  },

  // Upstream's HTTP-over-channels tests (iii v0.22.1, tests/api-triggers.test.ts: raw JSON through
  // request_body, a file downloaded through a streamed response, a file uploaded through a
  // streamed request, server-sent events, urlencoded and multipart forms), re-stated with the
  // published iii-sdk and @iii-dev/helpers/http. A generated binary stands in for handbook.pdf.
  // Each case emits {name, value} or {name, error}; the Java test checks what upstream expects.
  async 'upstream-http-channels'() {
    const { http } = await import('@iii-dev/helpers/http')
    const { Readable } = await import('node:stream')
    const { pipeline } = await import('node:stream/promises')
    const iii = connect()
    const base = env('III_HTTP_URL')
    const prefix = `interop/http-channels/${process.pid}`
    const file = Buffer.alloc(1_300_000)
    for (let i = 0; i < file.length; i++) file[i] = (i * 131 + (i >> 7)) & 0xff
    const readAll = async (stream) => {
      const chunks = []
      for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
      return Buffer.concat(chunks)
    }
    const route = (name, method, handler) => {
      const fn = iii.registerFunction(`interop::http-channels::${name}`, http(handler))
      iii.registerTrigger({ type: 'http', function_id: fn.id, config: { api_path: `${prefix}/${name}`, http_method: method } })
    }
    let uploaded = null

    route('json-raw', 'POST', async (req, res) => {
      const raw = await req.request_body.readAll()
      res.status(200)
      res.headers({ 'content-type': 'application/json' })
      res.stream.end(Buffer.from(JSON.stringify({ parsed_body: req.body, raw_body: raw.toString('utf-8') })))
    })
    route('download', 'GET', async (_req, res) => {
      res.status(200)
      res.headers({ 'content-type': 'application/pdf' })
      await pipeline(Readable.from([file.subarray(0, 500_000), file.subarray(500_000)]), res.stream)
    })
    route('upload', 'POST', async (req, res) => {
      res.status(200)
      res.headers({ 'content-type': 'application/json' })
      uploaded = await readAll(req.request_body.stream)
      res.stream.end(Buffer.from(JSON.stringify({ received_size: uploaded.length })))
    })
    const events = [
      { id: '1', type: 'message', data: 'Hello, world!' },
      { id: '2', type: 'update', data: JSON.stringify({ count: 42 }) },
      { id: '3', type: 'message', data: 'line one\nline two' },
      { id: '4', type: 'done', data: 'goodbye' },
    ]
    route('sse', 'GET', async (_req, res) => {
      res.status(200)
      res.headers({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
      for (const event of events) {
        let frame = `id: ${event.id}\nevent: ${event.type}\n`
        for (const line of event.data.split('\n')) frame += `data: ${line}\n`
        res.stream.write(Buffer.from(frame + '\n'))
        await sleep(50)
      }
      res.stream.end()
    })
    route('urlencoded', 'POST', async (req, res) => {
      const params = new URLSearchParams((await readAll(req.request_body.stream)).toString('utf-8'))
      res.status(200)
      res.headers({ 'content-type': 'application/json' })
      res.stream.end(Buffer.from(JSON.stringify({ name: params.get('name'), email: params.get('email'), age: params.get('age') })))
    })
    route('multipart', 'POST', async (req, res) => {
      const raw = await readAll(req.request_body.stream)
      const boundary = (req.headers?.['content-type'] ?? '').match(/boundary=([^\s;]+)/)?.[1] ?? ''
      const text = raw.toString()
      res.status(200)
      res.headers({ 'content-type': 'application/json' })
      res.stream.end(Buffer.from(JSON.stringify({
        has_boundary: boundary.length > 0,
        has_title: text.includes('Test Document'),
        has_description: text.includes('A test upload'),
        has_filename: text.includes('filename="handbook.pdf"'),
        body_size: raw.length,
      })))
    })
    await sleep(500)

    const form = new FormData()
    form.append('title', 'Test Document')
    form.append('description', 'A test upload')
    form.append('file', new Blob([file]), 'handbook.pdf')
    const cases = {
      'json-raw': async () => {
        const r = await fetch(`${base}/${prefix}/json-raw`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"z":2, "a":1}' })
        return { status: r.status, body: await r.json() }
      },
      download: async () => {
        const r = await fetch(`${base}/${prefix}/download`)
        const body = Buffer.from(await r.arrayBuffer())
        return { status: r.status, content_type: r.headers.get('content-type'), size: body.length, identical: body.equals(file) }
      },
      upload: async () => {
        const r = await fetch(`${base}/${prefix}/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file })
        return { status: r.status, body: await r.json(), identical: uploaded !== null && uploaded.equals(file) }
      },
      sse: async () => {
        const r = await fetch(`${base}/${prefix}/sse`)
        const received = []
        for (const block of (await r.text()).split('\n\n').filter(Boolean)) {
          const ev = {}
          const data = []
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) ev.id = line.slice(4)
            else if (line.startsWith('event: ')) ev.type = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          ev.data = data.join('\n')
          received.push(ev)
        }
        return { status: r.status, content_type: r.headers.get('content-type'), events: received, expected: events }
      },
      urlencoded: async () => {
        const body = new URLSearchParams({ name: 'John Doe', email: 'john@example.com', age: '30' }).toString()
        const r = await fetch(`${base}/${prefix}/urlencoded`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
        return { status: r.status, body: await r.json() }
      },
      multipart: async () => {
        const r = await fetch(`${base}/${prefix}/multipart`, { method: 'POST', body: form })
        return { status: r.status, body: await r.json(), file_size: file.length }
      },
    }
    for (const [name, run] of Object.entries(cases)) {
      try {
        emit('case', { name, value: await run() })
      } catch (error) {
        emit('case', { name, error: describeError(error) })
      }
    }
    await finish(iii)
  },

  // Upstream's own channel tests (iii v0.22.1, tests/data-channels.test.ts and the "Channel readAll"
  // cases of tests/service-triggers.test.ts), re-stated with the published iii-sdk: one worker
  // registers the producer and the consumer functions and calls the producer. Each case emits
  // {name, value} or {name, error}; the Java test checks the values upstream's tests expect.
  async 'upstream-channels'() {
    const { createChannel } = await import('iii-sdk/helpers')
    const iii = connect()
    const prefix = `interop.channels.${process.pid}`
    const concat = (chunks) => Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c))))
    const endWith = (writer, last) =>
      new Promise((resolve, reject) => writer.stream.end(last, (err) => (err ? reject(err) : resolve())))
    // writes `bytes` in `chunkSize` pieces, waiting for 'drain' whenever the stream asks to, and
    // ends the stream with the last piece, as upstream's tests do
    const writeChunked = (writer, bytes, chunkSize) =>
      new Promise((resolve, reject) => {
        let offset = 0
        const next = () => {
          if (bytes.length === 0) writer.stream.end((err) => (err ? reject(err) : resolve()))
          while (offset < bytes.length) {
            const chunk = bytes.subarray(offset, Math.min(offset + chunkSize, bytes.length))
            offset += chunk.length
            if (offset >= bytes.length) {
              writer.stream.end(chunk, (err) => (err ? reject(err) : resolve()))
              return
            }
            if (!writer.stream.write(chunk)) {
              writer.stream.once('drain', next)
              return
            }
          }
        }
        next()
      })

    // 1. records streamed to a processor that computes statistics
    iii.registerFunction(`${prefix}.processor`, async ({ label, reader }) => {
      const chunks = []
      for await (const chunk of reader.stream) chunks.push(chunk)
      const values = JSON.parse(concat(chunks).toString('utf-8')).map((r) => r.value)
      const sum = values.reduce((a, b) => a + b, 0)
      return { label, count: values.length, sum, average: sum / values.length, min: Math.min(...values), max: Math.max(...values) }
    })
    iii.registerFunction(`${prefix}.sender`, async ({ records }) => {
      const channel = await createChannel(iii)
      const written = endWith(channel.writer, Buffer.from(JSON.stringify(records)))
      const result = await iii.trigger({ function_id: `${prefix}.processor`, payload: { label: 'metrics-batch', reader: channel.readerRef } })
      await written
      return result
    })

    // 2. a worker that reads a stream, reports progress as messages and answers with bytes
    iii.registerFunction(`${prefix}.worker`, async ({ reader, writer }) => {
      const chunks = []
      for await (const chunk of reader.stream) {
        chunks.push(chunk)
        writer.sendMessage(JSON.stringify({ type: 'progress', chunks_received: chunks.length }))
      }
      const text = concat(chunks).toString('utf-8')
      const words = text.split(/\s+/).filter(Boolean)
      writer.sendMessage(JSON.stringify({ type: 'complete', word_count: words.length, byte_count: concat(chunks).length }))
      writer.stream.end(Buffer.from(JSON.stringify({ words: words.slice(0, 5), total: words.length })))
      return { status: 'done' }
    })
    iii.registerFunction(`${prefix}.coordinator`, async ({ text, chunkSize }) => {
      const input = await createChannel(iii)
      const output = await createChannel(iii)
      const messages = []
      output.reader.onMessage((m) => messages.push(JSON.parse(m)))
      const bytes = Buffer.from(text)
      const written = writeChunked(input.writer, bytes, chunkSize)
      const call = iii.trigger({ function_id: `${prefix}.worker`, payload: { reader: input.readerRef, writer: output.writerRef } })
      const chunks = []
      for await (const chunk of output.reader.stream) chunks.push(chunk)
      await written
      return { messages, binary: JSON.parse(concat(chunks).toString('utf-8')), worker: await call }
    })

    // 3 and 4. readAll, in one piece and in 8-byte chunks
    iii.registerFunction(`${prefix}.readall`, async ({ reader }) => {
      const data = await reader.readAll()
      return { content: data.toString('utf-8'), size: data.length }
    })
    iii.registerFunction(`${prefix}.readall.sender`, async ({ text, chunkSize }) => {
      const channel = await createChannel(iii)
      const bytes = Buffer.from(text)
      const written = writeChunked(channel.writer, bytes, chunkSize)
      const result = await iii.trigger({ function_id: `${prefix}.readall`, payload: { reader: channel.readerRef } })
      await written
      return result
    })

    // 5 and 6. across SDKs: Node streams to a Java function, and reads what a Java function streams
    iii.registerFunction(`${prefix}.to-java`, async ({ size }) => {
      const channel = await createChannel(iii)
      const bytes = Buffer.alloc(size)
      for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff
      const written = endWith(channel.writer, bytes)
      const result = await iii.trigger({ function_id: env('JAVA_DIGEST'), payload: { reader: channel.readerRef } })
      await written
      return result
    })
    iii.registerFunction(`${prefix}.from-java`, async ({ text }) => {
      const channel = await createChannel(iii)
      const messages = []
      channel.reader.onMessage((m) => messages.push(m))
      const call = iii.trigger({ function_id: env('JAVA_SHOUT'), payload: { text, writer: channel.writerRef } })
      const data = await channel.reader.readAll()
      return { body: data.toString('utf-8'), messages, java: await call }
    })

    await sleep(300)
    const cases = [
      ['stats', `${prefix}.sender`, { records: [
        { name: 'cpu_usage', value: 72 }, { name: 'memory_mb', value: 2048 }, { name: 'disk_iops', value: 340 },
        { name: 'network_mbps', value: 95 }, { name: 'latency_ms', value: 12 }] }],
      ['coordinator', `${prefix}.coordinator`, { text: 'The quick brown fox jumps over the lazy dog and then runs around the park', chunkSize: 10 }],
      ['readall', `${prefix}.readall.sender`, { text: 'Hello from readAll test!', chunkSize: 1 << 20 }],
      ['readall-chunked', `${prefix}.readall.sender`, { text: JSON.stringify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), chunkSize: 8 }],
      ['to-java', `${prefix}.to-java`, { size: 1_500_000 }],
      ['from-java', `${prefix}.from-java`, { text: 'shout this' }],
    ]
    for (const [name, functionId, payload] of cases) {
      try {
        emit('case', { name, value: await iii.trigger({ function_id: functionId, payload, timeoutMs: 60000 }) })
      } catch (error) {
        emit('case', { name, error: describeError(error) })
      }
    }
    await finish(iii)
  },

  // Serves functions for other workers until stdin closes.
  async serve() {
    const iii = connect()
    const slowMs = Number(env('SLOW_MS', '60000'))
    iii.registerFunction('node::echo', async (data, metadata) => {
      emit('called', { function_id: 'node::echo', data })
      return { echo: data, metadata: metadata ?? null, runtime: 'node' }
    })
    iii.registerFunction('node::sink', async (data) => {
      emit('called', { function_id: 'node::sink', data })
      // A void caller must never see this.
      return { returned_by: 'node::sink' }
    })
    iii.registerFunction('node::slow', async (data) => {
      emit('called', { function_id: 'node::slow', data })
      emit('slow-started', { pid: process.pid })
      await sleep(slowMs)
      return { finished: true }
    })
    iii.registerFunction('node::nothing', async (data) => {
      emit('called', { function_id: 'node::nothing', data })
      return undefined
    })
    iii.registerFunction('node::fail', async (data) => {
      emit('called', { function_id: 'node::fail', data })
      throw new Error('boom from node')
    })
    emit('started', { pid: process.pid })
    await stdinClosed()
    await finish(iii)
  },

  // Makes the calls in CALLS (a JSON array of {function_id, payload, action?: "void" | "enqueue",
  // queue?, timeoutMs?, metadata?}) one after the other, reports each outcome, and exits (with
  // HOLD=true: once stdin closes).
  async call() {
    const calls = JSON.parse(env('CALLS'))
    const iii = connect()
    emit('started', { pid: process.pid })
    for (const [index, call] of calls.entries()) {
      await callAndReport(iii, call, { index })
    }
    emit('done')
    if (env('HOLD', 'false') === 'true') {
      await stdinClosed()
    }
    await finish(iii)
  },

  // Registers two functions and lists the engine's functions from the same connection: once at
  // once (the call is flushed after the registrations) and once more after the first answer, when
  // the worker's metadata (its name) has reached the engine as well.
  async 'list-functions'() {
    const iii = connect()
    iii.registerFunction('node::list-a', async () => 'a', { description: 'first listed function' })
    iii.registerFunction('node::list-b', async () => 'b')
    for (const round of ['first', 'second']) {
      try {
        const listed = await iii.trigger({ function_id: 'engine::functions::list', payload: {}, timeoutMs: 10000 })
        emit('result', { round, value: listed })
      } catch (error) {
        emit('error', { round, ...describeError(error) })
      }
    }
    await finish(iii)
  },

  // Provides trigger type TRIGGER_TYPE: reports every binding it is given and fires it once.
  async 'trigger-provider'() {
    const type = env('TRIGGER_TYPE')
    const iii = connect()
    iii.registerTriggerType(
      { id: type, description: 'interop trigger type provided by Node' },
      {
        async registerTrigger({ id, function_id, config, metadata }) {
          emit('registertrigger', { id, function_id, config: config ?? null, metadata: metadata ?? null })
          await iii.trigger({
            function_id,
            payload: { fired_by: 'node', binding_id: id, config: config ?? null },
            action: TriggerAction.Void(),
          })
          emit('fired', { id })
        },
        async unregisterTrigger({ id, function_id, config }) {
          emit('unregistertrigger', { id, function_id: function_id ?? null, config: config ?? null })
        },
      },
    )
    emit('started', { pid: process.pid })
    await stdinClosed()
    await finish(iii)
  },

  // Binds FUNCTION_ID to trigger type TRIGGER_TYPE (provided by someone else) until stdin closes.
  async 'trigger-consumer'() {
    const type = env('TRIGGER_TYPE')
    const functionId = env('FUNCTION_ID')
    const iii = connect()
    iii.registerFunction(functionId, async (data, metadata) => {
      emit('called', { function_id: functionId, data, metadata: metadata ?? null })
      return null
    })
    iii.registerTrigger({
      type,
      function_id: functionId,
      config: { tag: 'from-node', n: 2 },
      metadata: { bound_by: 'node' },
    })
    emit('started', { pid: process.pid })
    await stdinClosed()
    await finish(iii)
  },

  // Binds FUNCTION_ID to a trigger of type TRIGGER_TYPE with config TRIGGER_CONFIG (JSON) and
  // reports every call of it; then takes commands until stdin closes:
  //   {"command":"call", "tag", function_id, payload, …}  one trigger() call, reported with its tag
  //   {"command":"unregister"}                            unregisters the trigger ("unregistered")
  async bind() {
    const type = env('TRIGGER_TYPE')
    const functionId = env('FUNCTION_ID')
    const config = JSON.parse(env('TRIGGER_CONFIG', '{}'))
    const iii = connect()
    iii.registerFunction(functionId, async (data, metadata) => {
      emit('called', {
        function_id: functionId,
        data_is_undefined: data === undefined,
        data: data === undefined ? null : data,
        metadata: metadata ?? null,
      })
      return null
    })
    const trigger = iii.registerTrigger({ type, function_id: functionId, config })
    emit('started', { pid: process.pid })
    await commands({
      call: (command) => callAndReport(iii, command, { tag: command.tag ?? null }),
      unregister: () => {
        trigger.unregister()
        emit('unregistered')
      },
    })
    await finish(iii)
  },

  // Serves node::greet on POST API_PATH (an http trigger) and answers 201 with a header and a JSON
  // body; then binds node::greet-other to CONFLICTING_PATH, the same shape with another parameter
  // name, which the engine must refuse (the SDK logs it with console.error, reported as
  // "console-error"). Commands: {"command":"unregister"} removes the greet route.
  // LINKLY.md Ch. 2 with a Node worker in the path: an http route served by Node, whose handler
  // calls a Java function; telemetry on, so the SDK's own spans reach the engine over /otel.
  async 'traced-route'() {
    const { registerWorker } = await import('iii-sdk')
    const iii = registerWorker(env('III_URL'), {
      workerName: env('WORKER_NAME', 'node-traced'),
      otel: { enabled: true, serviceName: 'node-traced' },
      enableMetricsReporting: false,
    })
    iii.registerFunction('node::traced', async (request) => {
      const answer = await iii.trigger({ function_id: 'java::traced', payload: { from: 'node' } })
      return { status_code: 200, body: { answer } }
    })
    iii.registerTrigger({ type: 'http', function_id: 'node::traced', config: { api_path: 'traced', http_method: 'GET' } })
    emit('ready')
    await stdinClosed()
    await finish(iii)
  },

  async 'http-route'() {
    captureConsoleErrors()
    const apiPath = env('API_PATH', 'greet/:name')
    const conflictingPath = env('CONFLICTING_PATH', 'greet/:other')
    const iii = connect()
    iii.registerFunction('node::greet', async (request) => {
      emit('called', { function_id: 'node::greet', request: describeRequest(request) })
      return {
        status_code: 201,
        headers: { 'X-Greeted-By': 'node' },
        body: {
          greeting: `hello ${request?.path_params?.name}`,
          x: request?.query_params?.x ?? null,
          echo: request?.body ?? null,
        },
      }
    })
    iii.registerFunction('node::greet-other', async (request) => {
      emit('called', { function_id: 'node::greet-other', request: describeRequest(request) })
      return { status_code: 200, body: { from: 'greet-other' } }
    })
    const route = iii.registerTrigger({
      type: 'http',
      function_id: 'node::greet',
      config: { api_path: apiPath, http_method: 'POST' },
    })
    iii.registerTrigger({
      type: 'http',
      function_id: 'node::greet-other',
      config: { api_path: conflictingPath, http_method: 'POST' },
    })
    emit('started', { pid: process.pid })
    await commands({
      unregister: () => {
        route.unregister()
        emit('unregistered')
      },
    })
    await finish(iii)
  },

  // A local program that tries to take a running app's function (TAKE=function: link::resolve),
  // its redirect route (TAKE=route: GET s/:code) and built-in ids, until stdin closes.
  async takeover() {
    const target = env('TARGET_URL', 'https://intruder.example/')
    const iii = connect()
    if (env('TAKE', 'function') === 'function') {
      iii.registerFunction('link::resolve', async (data) => {
        emit('called', { function_id: 'link::resolve', data })
        return { url: target }
      })
    } else {
      iii.registerFunction('node::hijack', async () => {
        emit('called', { function_id: 'node::hijack' })
        return { status_code: 302, headers: { Location: target }, body: null }
      })
      iii.registerTrigger({ type: 'http', function_id: 'node::hijack', config: { api_path: 's/:code', http_method: 'GET' } })
    }
    for (const id of ['stream::set', 'engine::functions::list', 'database::query', 'publish']) {
      iii.registerFunction(id, async () => {
        emit('called', { function_id: id })
        return { hijacked: true }
      })
    }
    emit('started', { pid: process.pid })
    await stdinClosed()
    await finish(iii)
  },
}

guardLifetime()
const name = process.argv[2]
const scenario = scenarios[name]
if (!scenario) {
  fail(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(', ')}`)
}
await scenario()
