// Scrapes the engine's GET /metrics and parses it with parse-prometheus-text-format (a Prometheus
// text-format parser that knows nothing of our engine), for ObservabilityIT. One command at a
// time (lib.mjs's stdin contract):
//   {"command":"scrape","url":…}  -> {"event":"scraped","status","content_type","families":[…]}
//     families as the parser gives them: [{name, help, type, metrics:[{value, labels} | {buckets, count, sum}]}]
//   {"command":"histogram","url":…,"family":…,"labels":{…}}  -> {"event":"histogram", "parsed":[…]}
//     the parser folds a histogram family into one series and keeps _sum/_count only without
//     labels, so one series is cut out of the text (its own labels removed) and parsed alone
import parse from 'parse-prometheus-text-format'
import { commands, emit, guardLifetime } from './lib.mjs'

guardLifetime()

const escape = (value) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')

function oneSeries(text, family, labels) {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`)
  const out = []
  for (const line of text.split('\n')) {
    if (line === `# HELP ${family}` || line.startsWith(`# HELP ${family} `) || line.startsWith(`# TYPE ${family} `)) {
      out.push(line)
      continue
    }
    if (!/^[a-zA-Z_:]/.test(line) || !line.startsWith(family)) continue
    const suffix = line.slice(family.length).match(/^(_bucket|_sum|_count)\{/)
    if (!suffix || !pairs.every((p) => line.includes(p))) continue
    let cut = line
    for (const p of pairs) cut = cut.replace(`${p},`, '').replace(`,${p}`, '').replace(p, '')
    out.push(cut.replace('{}', ''))
  }
  return out.join('\n') + '\n'
}

async function scrape(url) {
  const response = await fetch(url)
  return { response, text: await response.text() }
}

await commands({
  async scrape({ url }) {
    const { response, text } = await scrape(url)
    // throws on a line that is not valid text format: the command, and so the test, fails
    const families = parse(text)
    emit('scraped', { status: response.status, content_type: response.headers.get('content-type'), families })
  },

  async histogram({ url, family, labels }) {
    const { text } = await scrape(url)
    emit('histogram', { parsed: parse(oneSeries(text, family, labels)) })
  },
})
