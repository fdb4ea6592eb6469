// Click -> dashboard latency under load (issue 11): one dashboard tab in headless Chromium and one
// raw subscriber on the stream socket (port 3112, clicks/all) watch the same clicks, while this
// process sends GET /s/<code> at a fixed rate. Latency is measured from the click's clicked_at
// (stamped by the link worker when it answered the redirect) to the moment the tab had rendered
// it (measured in the page) or the raw subscriber had parsed it; one machine, one clock.
// Usage: node dashboard-latency.mjs <http-port> <stream-port> <code> <clicks/s> <seconds>
// Env: PLAYWRIGHT=<path to playwright-core/index.mjs>, WS=<path to ws/wrapper.mjs>, CHROMIUM.
import http from 'node:http'

const [httpPort, streamPort, code, rate, seconds] = process.argv.slice(2)
const { chromium } = await import(process.env.PLAYWRIGHT)
const { default: WebSocket } = await import(process.env.WS)
const base = `http://127.0.0.1:${httpPort}`

const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN)
const summary = (name, values) => {
  const s = [...values].sort((a, b) => a - b)
  return `${name}: n=${s.length} p50=${quantile(s, 0.5)} ms p99=${quantile(s, 0.99)} ms max=${s[s.length - 1]} ms`
}

// the raw subscriber: the stream socket's join protocol (PROTOCOL.md §8)
const raw = []
const socket = new WebSocket(`ws://127.0.0.1:${streamPort}/`)
await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
socket.on('message', (frame) => {
  const now = Date.now()
  const message = JSON.parse(frame.toString())
  const data = message?.event?.data
  if (message?.event?.type === 'create' && data?.code === code) raw.push(now - Date.parse(data.clicked_at))
})
socket.send(JSON.stringify({ type: 'join', data: { subscriptionId: 'bench-raw', streamName: 'clicks', groupId: 'all' } }))

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
})
try {
  const page = await browser.newPage()
  await page.goto(`${base}/`)
  await page.waitForFunction(() => document.querySelector('#state')?.dataset.state === 'connected', null, { timeout: 30000 })
  const before = await page.evaluate(() => window.linklyDashboard.latencies.length)

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const get = () => new Promise((resolve) => {
    const req = http.get(`${base}/s/${code}`, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)) })
    req.on('error', () => resolve(0))
  })
  const total = Number(rate) * Number(seconds)
  const statuses = new Map()
  const pending = []
  const started = Date.now()
  for (let sent = 0; sent < total;) {
    // every 10 ms, as many requests as the schedule is behind by: a fixed rate, not a closed loop
    const due = Math.min(total, Math.floor(((Date.now() - started) * Number(rate)) / 1000))
    for (; sent < due; sent++) pending.push(get().then((s) => statuses.set(s, (statuses.get(s) ?? 0) + 1)))
    await new Promise((r) => setTimeout(r, 10))
  }
  await Promise.all(pending)
  const elapsed = (Date.now() - started) / 1000
  agent.destroy()
  const redirects = statuses.get(302) ?? 0
  console.log(`load: ${total} clicks in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}`)

  const deadline = Date.now() + 60000
  let inPage = []
  while (Date.now() < deadline) {
    inPage = (await page.evaluate(() => window.linklyDashboard.latencies)).slice(before)
    if (inPage.length >= redirects && raw.length >= redirects) break
    await new Promise((r) => setTimeout(r, 200))
  }
  const shown = await page.evaluate((c) => document.querySelector(`tr[data-code="${c}"] .clicks`)?.textContent, code)
  console.log(summary('dashboard tab (click -> rendered, in the page)', inPage))
  console.log(summary('raw stream subscriber (click -> parsed)       ', raw))
  console.log(`tab shows ${shown} clicks for ${code}; clicks seen: tab ${inPage.length}, raw ${raw.length}, redirects ${redirects}`)
  if (redirects !== total || inPage.length < redirects || raw.length < redirects) {
    console.log('INCOMPLETE: not every click was answered with a redirect or seen by both watchers; figures do not count')
    process.exitCode = 1
  }
} finally {
  await browser.close()
  socket.close()
}
