// A worker with the SDK's OpenTelemetry on (the /otel socket), for ObservabilityIT: its function
// obs::resolve logs "link resolved" with data through the SDK's Logger and counts the call on an
// OTel counter, as the tutorial's link worker does; the engine should store both.
//   env: III_URL, WORKER_NAME; closing stdin ends it
import { registerWorker } from 'iii-sdk'
import { metrics } from '@opentelemetry/api'
import { Logger } from '@iii-dev/helpers/observability'
import { emit, finish, guardLifetime, stdinClosed } from './lib.mjs'

guardLifetime()
const name = process.env.WORKER_NAME ?? `telemetry-${process.pid}`
const iii = registerWorker(process.env.III_URL, {
  workerName: name,
  otel: { enabled: true, serviceName: name, metricsEnabled: true, metricsExportIntervalMs: 500 },
  enableMetricsReporting: false,
  reconnectionConfig: { initialDelayMs: 250, maxDelayMs: 2000 },
})
const logger = new Logger()
let resolved = null

iii.registerFunction('obs::resolve', async (data) => {
  if (!resolved) {
    resolved = metrics.getMeter('interop-telemetry').createCounter('links.resolved', { description: 'Links resolved' })
  }
  resolved.add(1, { found: String(data?.code !== 'missing') })
  logger.info('link resolved', { code: data?.code, found: data?.code !== 'missing' })
  return { ok: true }
})
emit('ready', { name })
await stdinClosed()
await finish(iii)
