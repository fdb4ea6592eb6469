// Drives Linkly's dashboard (linkly-app/src/main/resources/dashboard/) in headless Chromium for
// DashboardBrowserIT, one command at a time (lib.mjs's stdin contract); the Java side makes the
// clicks over HTTP and cuts connections, this side only does what a person in a tab would do
// and reports what the page shows.
//   node dashboard.mjs        env: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR
import { chromium } from 'playwright-core'
import { commands, emit, fail, guardLifetime } from './lib.mjs'

guardLifetime()
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // no background traffic: this machine's network is closed, and a test needs none
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
})
const tabs = new Map()
const holds = new Map() // tab name -> { on, messages }: live clicks kept from the page until released
const WAIT = { timeout: 15000 }

function tab(name) {
  const page = tabs.get(name)
  if (!page) fail(`no tab ${name}`)
  return page
}

const stateOf = (page) => page.$eval('#state', (el) => el.dataset.state)
const row = (code) => `tr[data-code="${code}"]`

// what the stats panel shows, as a person would read it: the numbers, the days that have a bar,
// each breakdown's entries; and the page's CSP violations (the panel must cause none)
const statsShown = (page) =>
  page.evaluate(() => {
    const text = (selector) => document.querySelector(selector)?.textContent.trim()
    const entries = (list) =>
      [...document.querySelectorAll(`${list} li`)]
        .filter((li) => li.querySelector('.name'))
        .map((li) => ({ name: li.querySelector('.name').textContent, clicks: li.querySelector('.num').textContent }))
    return {
      code: text('#stats-code'),
      total: text('#stats-total'),
      bots: text('#stats-bots'),
      days: [...document.querySelectorAll('#stats-days rect')]
        .filter((bar) => bar.dataset.clicks !== '0')
        .map((bar) => ({ day: bar.dataset.day, clicks: Number(bar.dataset.clicks) })),
      referrers: entries('#stats-referrers'),
      browsers: entries('#stats-browsers'),
      os: entries('#stats-os'),
      devices: entries('#stats-devices'),
      csp_violations: window.cspViolations,
    }
  })

const statsLoaded = ({ code, total, bots }) =>
  !document.querySelector('#stats').hidden &&
  document.querySelector('#stats').dataset.loaded === 'true' &&
  document.querySelector('#stats-code').textContent === code &&
  (total === undefined || document.querySelector('#stats-total').textContent.trim() === String(total)) &&
  (bots === undefined || document.querySelector('#stats-bots').textContent.trim() === String(bots))

await commands({
  // opens a tab in its own browser context and waits until its state is `state`; with
  // `holdable`, its engine connection passes through a route that can hold its live clicks
  async open({ name, url, state = 'connected', holdable = false }) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    if (holdable) {
      const hold = { on: false, messages: [] }
      holds.set(name, hold)
      await page.routeWebSocket(/[?&]token=/, (ws) => {
        const server = ws.connectToServer()
        ws.onMessage((message) => server.send(message))
        server.onMessage((message) => {
          // the engine calling the tab's ui::on_click: one click of the live feed
          const text = typeof message === 'string' ? message : message.toString('utf8')
          if (hold.on && text.includes('"invokefunction"') && text.includes('ui::on_click"')) {
            hold.messages.push({ ws, message })
          } else {
            ws.send(message)
          }
        })
      })
    }
    page.on('pageerror', (error) => emit('page-error', { name, message: String(error) }))
    await page.addInitScript(() => {
      window.cspViolations = []
      document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`))
    })
    tabs.set(name, page)
    await page.goto(url)
    await page.waitForFunction((want) => document.querySelector('#state')?.dataset.state === want, state, WAIT)
    emit('opened', { name, state: await stateOf(page) })
  },

  // fills the create form and reports what the page answered
  async create({ name, url, code }) {
    const page = tab(name)
    await page.fill('#url', url)
    await page.fill('#code', code ?? '')
    await page.click('#create-form button[type=submit]')
    // "Creating…" is pending; the answer is ok or error
    await page.waitForFunction(() => ['ok', 'error'].includes(document.querySelector('#create-result')?.dataset.status), null, WAIT)
    emit('created', { name, text: (await page.textContent('#create-result')).trim() })
  },

  // waits until the link's row shows `count` clicks and the total shows `total`; reports how long
  async count({ name, code, count, total }) {
    const page = tab(name)
    const started = Date.now()
    await page.waitForFunction(
      ({ selector, count, total }) =>
        document.querySelector(`${selector} .clicks`)?.textContent.trim() === String(count) &&
        document.querySelector('#total')?.textContent.trim() === String(total),
      { selector: row(code), count, total },
      WAIT,
    )
    emit('counted', { name, code, count, total, waited_ms: Date.now() - started })
  },

  // waits until the link's row shows a URL, and reports it
  async url({ name, code }) {
    const page = tab(name)
    await page.waitForFunction((selector) => !!document.querySelector(`${selector} .url a`), row(code), WAIT)
    emit('url', { name, code, url: (await page.textContent(`${row(code)} .url a`)).trim() })
  },

  // waits until the tab's connection state is `state`
  async state({ name, state }) {
    const page = tab(name)
    await page.waitForFunction((want) => document.querySelector('#state')?.dataset.state === want, state, WAIT)
    emit('state', { name, state, text: (await page.textContent('#state')).trim() })
  },

  // presses the row's Delete button and answers the confirm dialog
  async delete({ name, code, accept }) {
    const page = tab(name)
    // the dialog may open before the click has finished (the engine's round trip can be that
    // quick), and a click does not finish while a dialog is open: answer it first
    const dialog = page.waitForEvent('dialog', WAIT)
    const clicked = page.click(`${row(code)} button.delete`, WAIT)
    const shown = await dialog
    const message = shown.message()
    await (accept ? shown.accept() : shown.dismiss())
    await clicked
    if (accept) {
      await page.waitForSelector(row(code), { state: 'detached', ...WAIT })
    } else {
      // the dismissal travels back as {confirmed:false}; the page says when the request is over
      await page.waitForFunction((selector) => !document.querySelector(`${selector} button.delete`)?.disabled, row(code), WAIT)
    }
    emit('delete-answered', { name, code, message, row_present: (await page.$(row(code))) !== null })
  },

  // clicks the link's row and waits until its stats are loaded; reports what the panel shows
  async select({ name, code }) {
    const page = tab(name)
    await page.click(`${row(code)} td.last`, WAIT) // a plain cell: the whole row selects
    await page.waitForFunction(statsLoaded, { code }, WAIT)
    emit('selected', { name, ...(await statsShown(page)) })
  },

  // waits until the stats panel shows `total` and `bots`; reports what it shows
  async stats({ name, code, total, bots }) {
    const page = tab(name)
    await page.waitForFunction(statsLoaded, { code, total, bots }, WAIT)
    emit('stats', { name, ...(await statsShown(page)) })
  },

  // from now on, the tab's live clicks are held back (the tab must have been opened holdable)
  async hold({ name }) {
    holds.get(name).on = true
    emit('holding', { name })
  },

  // hands the held clicks to the page, waits until it has shown them, and reports the stats panel
  async release({ name }) {
    const page = tab(name)
    const hold = holds.get(name)
    hold.on = false
    const held = hold.messages.splice(0)
    const shown = await page.evaluate(() => window.linklyDashboard.latencies.length) // one per live click rendered
    for (const { ws, message } of held) ws.send(message)
    await page.waitForFunction((n) => window.linklyDashboard.latencies.length >= n, shown + held.length, WAIT)
    emit('released', { name, count: held.length, ...(await statsShown(page)) })
  },

  async screenshot({ name, path }) {
    await tab(name).screenshot({ path, fullPage: true })
    emit('screenshot', { name, path })
  },

  async close({ name }) {
    await tab(name).context().close()
    tabs.delete(name)
    emit('closed', { name })
  },
})
await browser.close()
emit('exit', { code: 0 })
