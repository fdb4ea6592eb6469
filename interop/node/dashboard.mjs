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
const WAIT = { timeout: 15000 }

function tab(name) {
  const page = tabs.get(name)
  if (!page) fail(`no tab ${name}`)
  return page
}

const stateOf = (page) => page.$eval('#state', (el) => el.dataset.state)
const row = (code) => `tr[data-code="${code}"]`

await commands({
  // opens a tab in its own browser context and waits until its state is `state`
  async open({ name, url, state = 'connected' }) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    page.on('pageerror', (error) => emit('page-error', { name, message: String(error) }))
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
    // the page shows "Creating…" (status pending) while link::create runs: wait for its answer
    await page.waitForFunction(() => {
      const result = document.querySelector('#create-result')
      return result?.textContent.trim() && result.dataset.status !== 'pending'
    }, null, WAIT)
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

  // waits until the tab's connection state is `state`
  async state({ name, state }) {
    const page = tab(name)
    await page.waitForFunction((want) => document.querySelector('#state')?.dataset.state === want, state, WAIT)
    emit('state', { name, state, text: (await page.textContent('#state')).trim() })
  },

  // presses the row's Delete button and answers the confirm dialog
  async delete({ name, code, accept }) {
    const page = tab(name)
    const dialog = page.waitForEvent('dialog', WAIT)
    await page.click(`${row(code)} button.delete`)
    const shown = await dialog
    const message = shown.message()
    await (accept ? shown.accept() : shown.dismiss())
    if (accept) {
      await page.waitForSelector(row(code), { state: 'detached', ...WAIT })
    } else {
      // the dismissal travels back as {confirmed:false}; the page says when the request is over
      await page.waitForFunction((selector) => !document.querySelector(`${selector} button.delete`)?.disabled, row(code), WAIT)
    }
    emit('delete-answered', { name, code, message, row_present: (await page.$(row(code))) !== null })
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
