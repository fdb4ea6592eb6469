// Linkly's dashboard: a browser worker (LINKLY.md Ch. 7). The tab registers its own functions
// (stored by the engine under this tab's prefix, so every tab gets every click), binds them to the
// clicks stream, and calls link::create / link::request_delete / link::stats / stream::list directly.
//
// Events only change the model below and ask for a frame; the DOM is written at most once per
// animation frame, so a thousand clicks a second cost a thousand small model updates, not a
// thousand layouts.

const STREAM = 'clicks'
const FEED_SIZE = 20
/** The newest links a tab lists at (re)connect, to show their URLs and links without clicks. */
const NEWEST_LINKS = 200
const SPARK_MINUTES = 30
const MAX_LATENCIES = 100_000
const MAX_SEEN = 10_000 // click keys remembered to drop duplicates; the live feed keeps 1,000 items
const MAX_PENDING = 10_000 // clicks waiting for a frame (a hidden tab gets none)
const MAX_KNOWN_URLS = 500
const STATS_DAYS = 30 // days the selected link's chart shows, today (UTC) the last
const STATS_TOP = 10 // entries a breakdown lists; the rest are summed as OTHER, as link::stats does
const OTHER = '(other)'
const MAX_STATS_WAITING = 10_000 // live clicks held while the stats are being fetched

const $ = (id) => document.getElementById(id)
const el = {
  state: $('state'),
  total: $('total'),
  spark: $('sparkline'),
  sparkSummary: $('spark-summary'),
  form: $('create-form'),
  url: $('url'),
  code: $('code'),
  createButton: $('create-button'),
  createResult: $('create-result'),
  actionResult: $('action-result'),
  notice: $('notice'),
  body: $('links-body'),
  linksEmpty: $('links-empty'),
  linksHint: $('links-hint'),
  stats: $('stats'),
  statsCode: $('stats-code'),
  statsStatus: $('stats-status'),
  statsTotal: $('stats-total'),
  statsBots: $('stats-bots'),
  statsDays: $('stats-days'),
  statsDaysSummary: $('stats-days-summary'),
  breakdowns: { referrers: $('stats-referrers'), browsers: $('stats-browsers'), os: $('stats-os'), devices: $('stats-devices') },
  feed: $('feed'),
  feedEmpty: $('feed-empty'),
}

const token = new URLSearchParams(location.search).get('token') || 'dev-token'
const tabId = randomId(12)
const numberFormat = new Intl.NumberFormat()

const dashboard = { tabId, latencies: [], state: 'connecting' }
window.linklyDashboard = dashboard

// ------------------------------------------------------------------ model

/** code -> { code, clicks, last (ms or NaN), url, touched } */
const links = new Map()
const deletedHere = new Set() // codes this tab deleted: a stale list must not bring them back
const deleting = new Set() // codes whose deletion is waiting for an answer
let total = 0
let tick = 0 // bumped by every totals event, to tell what a back-fill may have missed

const seen = new Set() // keys of clicks already counted in the feed and the sparkline
const seenRing = new Array(MAX_SEEN) // the same keys, oldest forgotten first
let seenNext = 0
let feed = [] // { key, code, at (ms), text }, newest first once rendered
const perMinute = new Map() // minute number -> clicks
const awaitingRender = [] // clicked_at (ms) of live clicks not yet on screen

const dirty = { state: true, total: true, codes: new Set(), feed: true, spark: true, stats: true }
let frameAsked = false

function randomId(length) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let out = ''
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length))) {
      if (b < 252 && out.length < length) out += alphabet[b % 36] // 252 = 7 * 36: no bias
    }
  }
  return out
}

function parseTime(text) {
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? ms : NaN
}

function knownUrls() {
  try {
    return new Map(JSON.parse(localStorage.getItem('linkly.urls') || '[]'))
  } catch {
    return new Map()
  }
}

const urls = knownUrls()

function rememberUrl(code, url) {
  urls.delete(code)
  urls.set(code, url)
  while (urls.size > MAX_KNOWN_URLS) urls.delete(urls.keys().next().value)
  try {
    localStorage.setItem('linkly.urls', JSON.stringify([...urls]))
  } catch {
    // storage full or refused: the URL is still shown in this tab
  }
}

function linkFor(code) {
  let link = links.get(code)
  if (!link) {
    link = { code, clicks: 0, last: NaN, url: urls.get(code), touched: 0 }
    links.set(code, link)
  }
  return link
}

/**
 * A link's total as the stream has it. Totals are absolute, so the larger count wins and an
 * event heard twice (live, then in a back-fill) changes nothing.
 */
function mergeTotal(data, fromEvent) {
  if (!data || typeof data.code !== 'string') return
  const code = data.code
  if (!fromEvent && deletedHere.has(code)) return
  if (fromEvent) deletedHere.delete(code)
  const link = linkFor(code)
  const clicks = Number(data.clicks) || 0
  if (clicks > link.clicks) {
    total += clicks - link.clicks
    link.clicks = clicks
    dirty.total = true
  }
  const last = parseTime(data.last_clicked_at)
  if (Number.isFinite(last) && !(last <= link.last)) link.last = last
  if (fromEvent) link.touched = ++tick
  dirty.codes.add(code)
}

function removeLink(code) {
  const link = links.get(code)
  if (!link) return
  total -= link.clicks
  links.delete(code)
  if (selected.code === code) unselect()
  dirty.total = true
  dirty.codes.add(code)
}

/** A click of the live feed; false when it was counted before. */
function addClick(data, live) {
  if (!data || typeof data.code !== 'string') return false
  const key = data.click_id != null ? 'id:' + data.click_id : data.code + '|' + data.clicked_at
  if (seen.has(key)) return false
  seen.add(key)
  const forgotten = seenRing[seenNext]
  if (forgotten !== undefined) seen.delete(forgotten)
  seenRing[seenNext] = key
  seenNext = (seenNext + 1) % MAX_SEEN
  const at = parseTime(data.clicked_at)
  feed.push({ key, code: data.code, at, text: data.clicked_at, visitor: visitorText(data), bot: data.bot === true })
  if (feed.length > FEED_SIZE * 10) trimFeed() // a hidden tab renders nothing, and must not grow
  if (Number.isFinite(at) && data.bot !== true) { // crawlers are kept, not counted, as in the totals
    const minute = Math.floor(at / 60_000)
    perMinute.set(minute, (perMinute.get(minute) || 0) + 1)
    dirty.spark = true
    if (live && awaitingRender.length < MAX_PENDING) awaitingRender.push(at)
  }
  dirty.feed = true
  return true
}

/** Who clicked, as the feed shows it: browser, device and where from (each only when known). */
function visitorText(data) {
  const parts = []
  if (typeof data.browser === 'string' && data.browser !== 'Other') parts.push(data.browser)
  if (typeof data.device === 'string' && data.device !== 'other' && data.device !== 'bot') parts.push(data.device)
  if (typeof data.referrer === 'string') parts.push('from ' + data.referrer)
  return parts.join(' · ')
}

function trimFeed() {
  feed.sort((a, b) => (b.at || 0) - (a.at || 0))
  if (feed.length > FEED_SIZE) feed.length = FEED_SIZE
}

function setState(state) {
  dashboard.state = state
  dirty.state = true
  frame()
}

// ------------------------------------------------------------------ the selected link's stats

/** The breakdowns of link::stats: the click's field, and the name a missing value is counted under. */
const DIMENSIONS = [
  { key: 'referrers', field: 'referrer', none: '(direct)' },
  { key: 'browsers', field: 'browser', none: 'Other' },
  { key: 'os', field: 'os', none: 'Other' },
  { key: 'devices', field: 'device', none: 'other' },
]

/**
 * The link whose stats are shown: link::stats when it is selected (and after a reconnect), then
 * each of its live clicks folded in. The answer names the newest click it counted
 * (last_click_id), so a live click is added only when its id is higher: a click heard while the
 * answer was on its way is neither lost nor counted twice.
 */
const selected = { code: null, model: null, loading: false, waiting: [], generation: 0, status: { text: '', status: 'ok' } }

/** {total, bots, lastId, days: day -> clicks, groups: key -> {named: name -> clicks, other}} */
function statsModel(answer) {
  const model = {
    total: Number(answer.total) || 0,
    bots: Number(answer.bots) || 0,
    lastId: Number(answer.last_click_id) || 0,
    days: new Map(),
    groups: {},
  }
  for (const day of Array.isArray(answer.by_day) ? answer.by_day : []) model.days.set(String(day.day), Number(day.clicks) || 0)
  for (const { key } of DIMENSIONS) {
    const group = { named: new Map(), other: 0 }
    for (const entry of Array.isArray(answer[key]) ? answer[key] : []) {
      if (entry.name === OTHER) group.other += Number(entry.clicks) || 0
      else group.named.set(String(entry.name), Number(entry.clicks) || 0)
    }
    model.groups[key] = group
  }
  return model
}

/** Adds a live click of the selected link; false when the stats counted it already. */
function foldClick(model, click) {
  const id = Number(click.click_id)
  if (click.click_id != null && Number.isFinite(id) && id <= model.lastId) return false
  if (click.bot === true || click.bot === 1) {
    model.bots++
    return true
  }
  model.total++
  const at = parseTime(click.clicked_at)
  if (Number.isFinite(at)) {
    const day = new Date(at).toISOString().slice(0, 10)
    model.days.set(day, (model.days.get(day) || 0) + 1)
  }
  for (const { key, field, none } of DIMENSIONS) {
    const name = click[field] == null ? none : String(click[field])
    const group = model.groups[key]
    // once the answer folded names into (other), a name it did not list may be one of them
    if (group.named.has(name) || group.other === 0) group.named.set(name, (group.named.get(name) || 0) + 1)
    else group.other++
  }
  return true
}

function liveClickForStats(click) {
  if (click.code !== selected.code) return
  if (selected.loading) {
    if (selected.waiting.length < MAX_STATS_WAITING) selected.waiting.push(click)
  } else if (selected.model && foldClick(selected.model, click)) {
    dirty.stats = true
  }
}

function select(code) {
  if (selected.code !== null) dirty.codes.add(selected.code)
  selected.code = code
  selected.model = null
  dirty.codes.add(code)
  dirty.stats = true
  loadStats()
}

function unselect() {
  if (selected.code === null) return
  dirty.codes.add(selected.code)
  selected.code = null
  selected.model = null
  selected.loading = false
  selected.waiting = []
  selected.generation++ // an answer on its way is for a link no longer shown
  dirty.stats = true
}

async function loadStats() {
  const code = selected.code
  if (code === null || !worker) return
  const generation = ++selected.generation
  selected.loading = true
  selected.waiting = []
  selected.status = { text: `Loading the stats of ${code}…`, status: 'pending' }
  dirty.stats = true
  frame()
  try {
    const answer = await worker.trigger({ function_id: 'link::stats', payload: { code } })
    if (generation !== selected.generation) return
    const model = statsModel(answer || {})
    for (const click of selected.waiting) foldClick(model, click)
    selected.model = model
    selected.status = { text: '', status: 'ok' }
  } catch (err) {
    if (generation !== selected.generation) return
    selected.status = { text: `Could not load the stats of ${code}: ${errorText(err)}`, status: 'error' }
  } finally {
    if (generation === selected.generation) {
      selected.loading = false
      selected.waiting = []
      dirty.stats = true
      frame()
    }
  }
}

// ------------------------------------------------------------------ view (one write per frame)

function frame() {
  if (!frameAsked) {
    frameAsked = true
    requestAnimationFrame(render)
  }
}

const STATE_TEXT = {
  connecting: 'connecting…',
  connected: 'connected',
  disconnected: 'reconnecting…',
  unauthorized: 'refused: wrong token',
  closed: 'closed',
  failed: 'not available',
}

function render() {
  frameAsked = false
  if (dirty.state) {
    el.state.textContent = STATE_TEXT[dashboard.state] || dashboard.state
    el.state.dataset.state = dashboard.state
    dirty.state = false
  }
  if (dirty.total) {
    el.total.textContent = numberFormat.format(total)
    dirty.total = false
  }
  if (dirty.codes.size > 0) {
    for (const code of dirty.codes) renderRow(code)
    dirty.codes.clear()
    el.linksEmpty.hidden = rows.size > 0
  }
  if (dirty.feed) {
    renderFeed()
    dirty.feed = false
  }
  if (dirty.spark) {
    renderSpark()
    dirty.spark = false
  }
  if (dirty.stats) {
    renderStats()
    dirty.stats = false
  }
  if (awaitingRender.length > 0) {
    // the clicks of this frame are in the DOM now (painted right after this callback): how long
    // from the redirect, which stamped clicked_at, to here
    const now = Date.now()
    const out = dashboard.latencies
    for (const at of awaitingRender) out.push(now - at)
    awaitingRender.length = 0
    if (out.length > MAX_LATENCIES) out.splice(0, out.length - MAX_LATENCIES)
  }
}

/** Rows are kept in code order and never move, so a focused Delete button stays where it was. */
const rows = new Map() // code -> tr, for the codes in rowOrder
const rowOrder = [] // the codes that have a row, sorted
const shownUrls = new Map() // code -> the URL its row shows

function renderRow(code) {
  const link = links.get(code)
  let row = rows.get(code)
  if (!link) {
    if (row) {
      row.remove()
      rows.delete(code)
      shownUrls.delete(code)
      rowOrder.splice(lowerBound(rowOrder, code), 1)
    }
    return
  }
  if (!row) {
    row = buildRow(code)
    const index = lowerBound(rowOrder, code)
    rowOrder.splice(index, 0, code)
    rows.set(code, row)
    el.body.insertBefore(row, rows.get(rowOrder[index + 1]) || null)
  }
  const cells = row.cells
  if (!shownUrls.has(code) || shownUrls.get(code) !== link.url) {
    cells[1].replaceChildren(urlCell(link.url))
    shownUrls.set(code, link.url)
  }
  cells[2].textContent = numberFormat.format(link.clicks)
  const time = cells[3].firstChild
  if (Number.isFinite(link.last)) {
    time.dateTime = new Date(link.last).toISOString()
    time.textContent = formatTime(link.last)
  } else {
    time.removeAttribute('datetime')
    time.textContent = '—'
  }
  cells[4].firstChild.disabled = deleting.has(code)
  const isSelected = code === selected.code
  row.classList.toggle('selected', isSelected)
  cells[0].firstChild.setAttribute('aria-pressed', String(isSelected))
}

function lowerBound(sorted, value) {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

function buildRow(linkCode) {
  const row = document.createElement('tr')
  row.dataset.code = linkCode
  const code = document.createElement('th')
  code.scope = 'row'
  code.className = 'code'
  const pick = document.createElement('button')
  pick.type = 'button'
  pick.className = 'select'
  pick.textContent = linkCode
  pick.title = `Show the stats of ${linkCode}`
  code.append(pick)
  const url = document.createElement('td')
  url.className = 'url'
  const clicks = document.createElement('td')
  clicks.className = 'clicks num'
  const last = document.createElement('td')
  last.className = 'last'
  last.append(document.createElement('time'))
  const actions = document.createElement('td')
  actions.className = 'actions'
  const del = document.createElement('button')
  del.type = 'button'
  del.className = 'delete'
  del.textContent = 'Delete'
  del.setAttribute('aria-label', `Delete link ${linkCode}`)
  del.addEventListener('click', () => requestDelete(linkCode))
  actions.append(del)
  row.append(code, url, clicks, last, actions)
  // the whole row selects (the code is a button, for the keyboard); its link and Delete do not
  row.addEventListener('click', (e) => {
    if (!e.target.closest('a, button.delete')) select(linkCode)
  })
  return row
}

function urlCell(url) {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    const span = document.createElement('span')
    span.className = 'muted'
    span.textContent = 'unknown'
    return span
  }
  const a = document.createElement('a')
  a.href = url
  a.rel = 'noopener noreferrer'
  a.target = '_blank'
  a.textContent = url
  return a
}

function formatTime(ms) {
  const date = new Date(ms)
  const today = new Date()
  return date.toDateString() === today.toDateString() ? date.toLocaleTimeString() : date.toLocaleString()
}

function renderFeed() {
  trimFeed()
  const items = feed.map((click) => {
    const li = document.createElement('li')
    li.dataset.code = click.code
    const code = document.createElement('span')
    code.className = 'code'
    code.textContent = click.code
    const time = document.createElement('time')
    if (Number.isFinite(click.at)) {
      time.dateTime = new Date(click.at).toISOString()
      time.textContent = formatTime(click.at)
    } else {
      time.textContent = String(click.text)
    }
    li.append(code, ' ', time)
    if (click.bot) {
      const bot = document.createElement('span')
      bot.className = 'bot'
      bot.textContent = 'crawler'
      li.append(' ', bot)
    }
    if (click.visitor) {
      const visitor = document.createElement('span')
      visitor.className = 'visitor'
      visitor.textContent = click.visitor
      li.append(' ', visitor)
    }
    return li
  })
  el.feed.replaceChildren(...items)
  el.feedEmpty.hidden = items.length > 0
}

const SVG = 'http://www.w3.org/2000/svg'

function renderSpark() {
  const nowMinute = Math.floor(Date.now() / 60_000)
  const first = nowMinute - SPARK_MINUTES + 1
  for (const minute of perMinute.keys()) {
    if (minute < first) perMinute.delete(minute)
  }
  const counts = []
  for (let m = first; m <= nowMinute; m++) counts.push(perMinute.get(m) || 0)
  const peak = Math.max(1, ...counts)
  const width = 300
  const height = 60
  const step = width / (SPARK_MINUTES - 1)
  const points = counts.map((n, i) => `${(i * step).toFixed(1)},${(height - 2 - (n / peak) * (height - 6)).toFixed(1)}`)
  const area = document.createElementNS(SVG, 'polygon')
  area.setAttribute('points', `0,${height} ${points.join(' ')} ${width},${height}`)
  area.setAttribute('class', 'spark-area')
  const line = document.createElementNS(SVG, 'polyline')
  line.setAttribute('points', points.join(' '))
  line.setAttribute('class', 'spark-line')
  el.spark.replaceChildren(area, line)
  const sum = counts.reduce((a, b) => a + b, 0)
  el.sparkSummary.textContent = sum === 0
    ? 'No clicks seen in the last 30 minutes.'
    : `${numberFormat.format(counts[counts.length - 1])} this minute, peak ${numberFormat.format(Math.max(...counts))} a minute, ${numberFormat.format(sum)} in 30 minutes.`
}

function renderStats() {
  el.stats.hidden = selected.code === null
  el.linksHint.hidden = selected.code !== null
  if (selected.code === null) return
  const model = selected.model
  el.stats.dataset.loaded = String(model !== null)
  el.statsCode.textContent = selected.code
  show(el.statsStatus, selected.status.text, selected.status.status)
  el.statsTotal.textContent = model ? numberFormat.format(model.total) : '…'
  el.statsBots.textContent = model ? numberFormat.format(model.bots) : '…'
  renderDays(model)
  for (const { key } of DIMENSIONS) renderBreakdown(el.breakdowns[key], model && model.groups[key], model ? model.total : 0)
}

function utcDay(ms) {
  return new Date(ms).toISOString().slice(0, 10)
}

/** One bar per UTC day of the last STATS_DAYS, today's on the right. */
function renderDays(model) {
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000 // a UTC day is exactly this long in JavaScript time
  const days = []
  for (let i = STATS_DAYS - 1; i >= 0; i--) {
    const day = utcDay(today - i * 86_400_000)
    days.push([day, model ? model.days.get(day) || 0 : 0])
  }
  const peak = Math.max(1, ...days.map(([, n]) => n))
  const width = 300
  const height = 60
  const step = width / STATS_DAYS
  const bars = days.map(([day, n], i) => {
    const h = n === 0 ? 0 : Math.max(1.5, (n / peak) * (height - 4))
    const bar = document.createElementNS(SVG, 'rect')
    bar.setAttribute('class', 'stats-bar')
    bar.setAttribute('x', (i * step + 1).toFixed(1))
    bar.setAttribute('y', (height - h).toFixed(1))
    bar.setAttribute('width', (step - 2).toFixed(1))
    bar.setAttribute('height', h.toFixed(1))
    bar.dataset.day = day
    bar.dataset.clicks = String(n)
    const title = document.createElementNS(SVG, 'title')
    title.textContent = `${day}: ${numberFormat.format(n)} ${n === 1 ? 'click' : 'clicks'}`
    bar.append(title)
    return bar
  })
  el.statsDays.replaceChildren(...bars)
  if (!model) {
    el.statsDaysSummary.textContent = ''
    return
  }
  const inWindow = days.reduce((sum, [, n]) => sum + n, 0)
  const before = model.total - inWindow
  el.statsDaysSummary.textContent =
    `${numberFormat.format(days[days.length - 1][1])} today, ${numberFormat.format(inWindow)} in the last ${STATS_DAYS} days` +
    (before > 0 ? `, ${numberFormat.format(before)} before.` : '.')
}

/** The STATS_TOP largest entries, most clicks first then by name, the rest as OTHER. */
function renderBreakdown(list, group, total) {
  if (!group || total === 0) {
    const li = document.createElement('li')
    li.className = 'muted'
    li.textContent = group ? 'No clicks by people yet.' : '…'
    list.replaceChildren(li)
    return
  }
  const entries = [...group.named].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const shown = entries.slice(0, STATS_TOP)
  const rest = group.other + entries.slice(STATS_TOP).reduce((sum, [, n]) => sum + n, 0)
  if (rest > 0) shown.push([OTHER, rest])
  list.replaceChildren(...shown.map(([name, clicks]) => {
    const li = document.createElement('li')
    const label = document.createElement('span')
    label.className = 'name'
    label.textContent = name // a referrer is any host on the internet: text, never markup
    const count = document.createElement('span')
    count.className = 'num'
    count.textContent = numberFormat.format(clicks)
    const bar = document.createElement('span')
    bar.className = 'share'
    bar.style.width = `${Math.min(100, (clicks / total) * 100).toFixed(1)}%` // CSSOM, which the page's CSP allows
    li.append(label, count, bar)
    return li
  }))
}

// the sparkline moves on with the clock even when nobody clicks
setInterval(() => {
  dirty.spark = true
  frame()
}, 15_000)

// ------------------------------------------------------------------ the worker

function show(target, text, status) {
  target.textContent = text
  target.dataset.status = status
}

function errorText(err) {
  return (err && err.message) || String(err)
}

let worker = null

async function connect() {
  let registerWorker
  try {
    // imported here rather than at the top, so that the page still shows what is wrong without it
    const client = await import('./iii-browser.js')
    registerWorker = client.registerWorker
    if (typeof registerWorker !== 'function') throw new Error('it has no registerWorker')
  } catch (err) {
    setState('failed')
    show(el.notice, `The browser worker client (iii-browser.js) did not load: ${errorText(err)}`, 'error')
    return
  }
  let config
  try {
    const response = await fetch('/dashboard/config.json', { cache: 'no-store' })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    config = await response.json()
  } catch (err) {
    setState('failed')
    show(el.notice, `Cannot load the dashboard's configuration: ${errorText(err)}`, 'error')
    return
  }
  const url = config.worker_url + '?token=' + encodeURIComponent(token) + '&tab=' + tabId
  try {
    worker = registerWorker(url, { invocationTimeoutMs: 30_000 })
  } catch (err) {
    setState('failed')
    show(el.notice, `Cannot connect: ${errorText(err)}`, 'error')
    return
  }

  worker.registerFunction('ui::on_click', async (event) => {
    const kind = event && event.event && event.event.type
    if (kind === 'create' || kind === 'update') {
      if (addClick(event.event.data, true)) {
        liveClickForStats(event.event.data)
        frame()
      }
    }
    return null
  }, { description: 'A click reached the live feed: show it' })

  worker.registerFunction('ui::on_total', async (event) => {
    const kind = event && event.event && event.event.type
    if (kind === 'create' || kind === 'update') {
      mergeTotal(event.event.data, true)
      frame()
    } else if (kind === 'delete') {
      const code = event.id ?? (event.event.data && event.event.data.code)
      if (typeof code === 'string') {
        removeLink(code)
        frame()
      }
    }
    return null
  }, { description: "A link's click total changed: show it" })

  // LINKLY.md Ch. 7: link::request_delete asks the tab that requested it ({code, action})
  worker.registerFunction('user::confirm_destructive_op', async (data) => {
    return { confirmed: window.confirm('Confirm: ' + (data && data.action) + '?') }
  }, { description: 'Ask the person at this tab to confirm a destructive operation' })

  worker.registerTrigger({ type: 'stream', function_id: 'ui::on_click', config: { stream_name: STREAM, group_id: 'all' } })
  worker.registerTrigger({ type: 'stream', function_id: 'ui::on_total', config: { stream_name: STREAM, group_id: 'totals' } })

  worker.onStateChange((state) => {
    setState(state)
    if (state === 'connected') backFill()
    if (state === 'unauthorized') {
      show(el.notice, 'The engine refused this page\'s token: open the dashboard as /?token=<your token>.', 'error')
    }
  })
  setState(worker.state)
  if (worker.state === 'connected') backFill()
}

let backFills = 0

/**
 * After every (re)connect: what happened while this tab was away. Totals merge by the larger
 * count and clicks by their key, so what was heard live is not counted again.
 */
async function backFill() {
  const generation = ++backFills
  const since = tick
  try {
    const [totals, clicks, newest] = await Promise.all([
      worker.trigger({ function_id: 'stream::list', payload: { stream_name: STREAM, group_id: 'totals' } }),
      worker.trigger({ function_id: 'stream::list', payload: { stream_name: STREAM, group_id: 'all' } }),
      // the newest links with their targets: links nobody clicked yet appear, and every row its URL
      worker.trigger({ function_id: 'link::list', payload: { limit: NEWEST_LINKS } }).catch(() => null), // an older engine: no URLs
    ])
    if (generation !== backFills) return // a newer connection's back-fill is on its way
    for (const link of newest && Array.isArray(newest.links) ? newest.links : []) {
      if (typeof link.code !== 'string' || typeof link.url !== 'string') continue
      rememberUrl(link.code, link.url)
      linkFor(link.code).url = link.url
      dirty.codes.add(link.code)
    }
    const listed = new Set()
    for (const item of Array.isArray(totals) ? totals : []) {
      if (item && typeof item.code === 'string') listed.add(item.code)
      mergeTotal(item, false)
    }
    // a link deleted while this tab was away: its total is gone from the list, and no event
    // reached us since the list was asked for (one that did is newer than the list)
    for (const link of [...links.values()]) {
      if (link.clicks > 0 && !listed.has(link.code) && link.touched <= since) removeLink(link.code)
    }
    for (const click of Array.isArray(clicks) ? clicks : []) addClick(click, false)
    // clicks made while this tab was away reach the feed above, but only a fresh answer counts
    // them in the stats
    if (selected.code !== null) loadStats()
    show(el.notice, '', 'ok')
    frame()
  } catch (err) {
    if (generation === backFills) show(el.notice, `Could not load the current totals: ${errorText(err)}`, 'error')
  }
}

// ------------------------------------------------------------------ actions

el.form.addEventListener('submit', async (e) => {
  e.preventDefault()
  const url = el.url.value.trim()
  const code = el.code.value.trim()
  if (!url) {
    show(el.createResult, 'Enter the URL to shorten.', 'error')
    el.url.focus()
    return
  }
  if (!worker) {
    show(el.createResult, 'Not connected.', 'error')
    return
  }
  el.createButton.disabled = true
  show(el.createResult, 'Creating…', 'pending')
  try {
    const link = await worker.trigger({ function_id: 'link::create', payload: { url, code: code || undefined } })
    rememberUrl(link.code, link.url)
    deletedHere.delete(link.code)
    const entry = linkFor(link.code)
    entry.url = link.url
    dirty.codes.add(link.code)
    frame()
    const short = `${location.origin}/s/${encodeURIComponent(link.code)}`
    const a = document.createElement('a')
    a.href = short
    a.textContent = short
    el.createResult.replaceChildren('Created ', a, ` → ${link.url}`)
    el.createResult.dataset.status = 'ok'
    el.createResult.dataset.code = link.code
    el.form.reset()
  } catch (err) {
    show(el.createResult, `Could not create the link: ${errorText(err)}`, 'error')
  } finally {
    el.createButton.disabled = false
  }
})

async function requestDelete(code) {
  if (!worker || deleting.has(code)) return
  deleting.add(code)
  dirty.codes.add(code)
  frame()
  show(el.actionResult, `Deleting ${code}…`, 'pending')
  let deleted = false
  try {
    const result = await worker.trigger({ function_id: 'link::request_delete', payload: { code, tab: tabId } })
    deleted = result != null && result.deleted === true
    show(el.actionResult, deleted ? `Deleted ${code}.` : `${code} was not deleted.`, deleted ? 'ok' : 'info')
  } catch (err) {
    show(el.actionResult, `Could not delete ${code}: ${errorText(err)}`, 'error')
  } finally {
    deleting.delete(code)
    dirty.codes.add(code)
  }
  if (deleted) {
    deletedHere.add(code)
    removeLink(code)
    el.actionResult.focus() // the focused button goes with its row
  }
  frame()
}

frame()
connect()
