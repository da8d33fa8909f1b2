// The live page of `hypernet-host start --web` (docs/monitor.md). Plain JavaScript, no build.
// The token comes in the URL's fragment (never sent to a server, never in a Referer), is kept in
// this tab's sessionStorage (per origin, so per port), and goes out only as an Authorization
// header. The event stream is read with fetch(): EventSource cannot send that header.
'use strict'

const TOKEN_KEY = 'hypernet-web-token'
const HOUR_MS = 3600_000
const $ = (id) => document.getElementById(id)

let token = null
let samples = []
let lastSummary = ''

function takeToken() {
  const m = /(?:^#|&)token=([0-9a-f]{64})(?:&|$)/.exec(location.hash)
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1])
    // out of the address bar, so it is not shown on screen, bookmarked or shared by mistake
    window.history.replaceState(null, '', location.pathname)
    return m[1]
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

// --- formatting ---------------------------------------------------------------------------

function bytes(n) {
  if (n === undefined || n === null) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`
}

const perSecond = (n) => (n === null || n === undefined ? '–' : `${bytes(n)}/s`)

const short = (hex) => (typeof hex === 'string' && hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : String(hex ?? ''))

function ago(iso) {
  if (!iso) return 'never'
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000)
  return s < 60 ? `${Math.max(0, s)} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString()
}

function plain(v) {
  if (v === null || v === undefined) return '–'
  if (Array.isArray(v)) return v.length ? v.map(plain).join(', ') : 'none'
  if (typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined)
    return entries.length ? entries.map(([k, x]) => `${k} ${plain(x)}`).join('; ') : 'none'
  }
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  return String(v)
}

// --- DOM helpers: rows are kept by key, so a focused copy button survives an update ----------

function syncRows(tbody, items, keyOf, cellsOf) {
  const old = new Map([...tbody.rows].map((r) => [r.dataset.key, r]))
  let prev = null
  for (const item of items) {
    const key = keyOf(item)
    let tr = old.get(key)
    if (tr) old.delete(key)
    else {
      tr = document.createElement('tr')
      tr.dataset.key = key
    }
    const values = cellsOf(item)
    while (tr.cells.length < values.length) {
      const first = tr.cells.length === 0
      const cell = document.createElement(first ? 'th' : 'td')
      if (first) cell.scope = 'row'
      tr.appendChild(cell)
    }
    values.forEach((v, i) => setCell(tr.cells[i], v))
    const want = prev ? prev.nextSibling : tbody.firstChild
    if (want !== tr) tbody.insertBefore(tr, want)
    prev = tr
  }
  for (const tr of old.values()) tr.remove()
  return items.length
}

// a cell value: text, or { copy, label } for a long id shown short with a copy button
function setCell(cell, v) {
  if (v && typeof v === 'object' && 'copy' in v) {
    if (cell.dataset.copy === v.copy) return
    cell.textContent = ''
    cell.dataset.copy = v.copy
    const code = document.createElement('code')
    code.textContent = short(v.copy)
    code.title = v.copy
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'copy'
    button.textContent = 'Copy'
    button.setAttribute('aria-label', `Copy ${v.label}`)
    button.addEventListener('click', () => copy(v.copy, v.label, button))
    cell.append(code, ' ', button)
    return
  }
  const text = String(v)
  if (cell.textContent !== text) cell.textContent = text
  if (cell.tagName === 'TD') cell.classList.toggle('num', /^(?:–|\d+(?:\.\d+)?(?: [KMGT]?i?B(?:\/s)?)?)$/.test(text))
}

async function copy(text, label, button) {
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    const area = document.createElement('textarea')
    area.value = text
    document.body.append(area)
    area.select()
    document.execCommand('copy')
    area.remove()
  }
  // the button keeps its name (its label must contain what it shows); a mark beside it shows it
  // worked, and the live region says so to a screen reader
  let done = button.nextElementSibling
  if (!done) {
    done = document.createElement('span')
    done.className = 'done'
    done.setAttribute('aria-hidden', 'true')
    button.after(done)
  }
  done.textContent = '✓ copied'
  $('copied').textContent = `${label} copied`
  setTimeout(() => (done.textContent = ''), 1500)
}

function syncDl(dl, pairs) {
  const wanted = pairs.filter(([, v]) => v !== undefined)
  const html = wanted.map(([k, v]) => `${k}\u0000${typeof v === 'object' && v && 'copy' in v ? v.copy : v}`).join('\u0001')
  if (dl.dataset.sig === html) return
  dl.dataset.sig = html
  dl.textContent = ''
  for (const [k, v] of wanted) {
    const dt = document.createElement('dt')
    dt.textContent = k
    const dd = document.createElement('dd')
    setCell(dd, v)
    dl.append(dt, dd)
  }
}

// --- rendering ----------------------------------------------------------------------------

function render({ status: st, connections }) {
  $('no-token').hidden = true
  setCell($('host-key'), { copy: st.host.key, label: 'host key' })

  const apps = syncRows(
    $('apps').tBodies[0],
    st.apps,
    (a) => a.name,
    (a) => [
      a.name,
      a.version || '–',
      a.state === 'invalid'
        ? `invalid: ${a.error ?? ''}`
        : a.lastError
          ? `${a.state} (last error: ${a.lastError.message})`
          : a.state === 'idle'
            ? `idle (on demand: starts on the next connection; ${a.wakes ?? 0} starts)`
            : a.state,
      a.restarts ?? 0,
      a.connections ?? 0,
      bytes(a.bytesIn ?? 0),
      bytes(a.bytesOut ?? 0)
    ]
  )
  $('apps-empty').hidden = apps > 0

  const services = syncRows(
    $('services').tBodies[0],
    st.services,
    (s) => s.hash,
    (s) => {
      const name = `${s.app}/${s.service}`
      return [
        name,
        s.port,
        { copy: s.hash, label: `service hash of ${name}` },
        { copy: s.key, label: `service key of ${name}` },
        s.connections,
        s.paths ? `${s.paths.direct} direct, ${s.paths.relayed} relayed` : '–',
        ago(s.lastRefresh)
      ]
    }
  )
  $('services-empty').hidden = services > 0

  const open = syncRows(
    $('connections').tBodies[0],
    connections,
    (c) => c.id,
    (c) => [
      c.via,
      c.peer ? { copy: c.peer, label: `peer key of the connection to ${c.via}` } : 'unknown (anonymous client)',
      c.path,
      c.remote ?? '–',
      bytes(c.bytesIn),
      bytes(c.bytesOut),
      perSecond(c.inPerSecond),
      perSecond(c.outPerSecond)
    ]
  )
  $('connections-empty').hidden = open > 0

  const n = st.network
  syncDl($('network'), [
    ['Network', n.local ? `embedded local network, bootstrap ${n.bootstrap[0]}` : n.bootstrap.length ? n.bootstrap.join(', ') : 'the public HyperDHT network'],
    ['Bootstrapped', !n.bootstrapped ? 'joining: waiting for a bootstrap node' : n.answered === false ? 'no bootstrap node answered (offline?)' : 'yes'],
    ['DHT nodes known', n.nodes],
    ['Reachable', n.firewalled ? 'no (firewalled)' : 'yes'],
    ['NAT', n.nat],
    ['Public address', n.publicAddress ?? 'unknown'],
    ['Local address', n.localAddress ?? 'none'],
    ['LAN discovery', n.lan ? `on, ${n.lan.peers.length} hosts found` : undefined],
    ['Refused connections', Object.values(st.refused).some((v) => v > 0) ? plain(st.refused) : 'none']
  ])

  syncDl($('lookups'), [
    ['Descriptor published', ago(st.descriptorPublished)],
    ['Last relay lookup', ago(st.relays?.lastLookup)],
    ...(st.lookups ? Object.entries(st.lookups).map(([k, v]) => [k, plain(v)]) : [])
  ])

  const offering = st.relays?.offering
  syncDl($('relay-offering'), [
    [
      'This host relays',
      offering ? `yes: ${offering.connections} connections, ${offering.sessions} sessions, ${bytes(offering.bytesReceived)} received` : 'no (start --relay)'
    ]
  ])
  const known = syncRows(
    $('relays').tBodies[0],
    st.relays?.known ?? [],
    (r) => r.key,
    (r) => [{ copy: r.key, label: 'relay key' }, r.source === 'pinned' ? 'pinned' : 'in the DHT', r.failedAt ? ago(r.failedAt) : 'never']
  )
  $('relays-empty').hidden = known > 0

  const kv = st.kv
  syncDl($('kv'), [
    [
      'Stored for others',
      kv?.storedForOthers
        ? `${kv.storedForOthers.records} records, ${bytes(kv.storedForOthers.bytes)} of ${bytes(kv.storedForOthers.quotaBytes)}`
        : 'nothing (the store does not run on this node)'
    ],
    ['Last repair', kv?.lastRepair ? `${ago(kv.lastRepair.at)}: ${plain({ ...kv.lastRepair, at: undefined })}` : 'none yet']
  ])

  renderMore(st)

  const summary = `${st.apps.length} apps, ${st.services.length} services, ${open} connections open`
  if (summary !== lastSummary) $('summary').textContent = lastSummary = summary
}

// what else status shows (serving, onion, hidden services, bridges, mesh): one list each
function renderMore(st) {
  const parts = [
    ['Serving app code to other hosts', st.serving],
    ['Onion relay', st.onionRelay],
    ['Onion guards', st.onionGuards],
    ['Hidden services', st.hidden],
    ['Bridges', st.bridges?.length ? st.bridges.map(({ open, ...b }) => ({ ...b, open: open.length })) : undefined],
    ['Mesh', st.mesh]
  ].filter(([, v]) => v !== undefined)
  syncDl(
    $('more'),
    parts.map(([k, v]) => [k, Array.isArray(v) ? (v.length ? v.map(plain).join(' | ') : 'none') : plain(v)])
  )
}

// --- graphs -------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg'

function drawGraph(svg, series, label) {
  const W = 600
  const H = 160
  const pad = { l: 48, r: 8, t: 8, b: 20 }
  const now = Date.now()
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.v)))
  const x = (t) => pad.l + ((t - (now - HOUR_MS)) / HOUR_MS) * (W - pad.l - pad.r)
  const y = (v) => H - pad.b - (v / max) * (H - pad.t - pad.b)
  svg.textContent = ''
  const el = (name, attrs, text) => {
    const e = document.createElementNS(SVG, name)
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
    if (text !== undefined) e.textContent = text
    svg.appendChild(e)
    return e
  }
  el('line', { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, class: 'axis' })
  el('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: H - pad.b, class: 'axis' })
  el('text', { x: pad.l - 4, y: pad.t + 10, 'text-anchor': 'end', class: 'tick' }, label(max))
  el('text', { x: pad.l - 4, y: H - pad.b, 'text-anchor': 'end', class: 'tick' }, '0')
  el('text', { x: pad.l, y: H - 4, class: 'tick' }, '60 min ago')
  el('text', { x: W - pad.r, y: H - 4, 'text-anchor': 'end', class: 'tick' }, 'now')
  for (const s of series) {
    const pts = s.points.filter((p) => p.t >= now - HOUR_MS).map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
    if (pts.length === 1) pts.push(pts[0].replace(/^[\d.]+/, String(W - pad.r)))
    if (pts.length) el('polyline', { points: pts.join(' '), class: s.cls })
  }
  const desc = series.map((s) => {
    const vs = s.points.map((p) => p.v)
    return `${s.name}: now ${label(vs.at(-1) ?? 0)}, highest ${label(Math.max(0, ...vs))}`
  })
  // in words too, under the graph, and as its description for screen readers
  const text = $(svg.getAttribute('aria-describedby'))
  const words = `Last hour: ${desc.join('; ')}.`
  if (text.textContent !== words) text.textContent = words
}

function drawGraphs() {
  const g1 = $('graph-connections')
  drawGraph(g1, [{ name: 'connections', cls: 'line-a', points: samples.map((s) => ({ t: s.t, v: s.connections })) }], (v) => String(Math.round(v)))
  const g2 = $('graph-bytes')
  drawGraph(
    g2,
    [
      { name: 'received', cls: 'line-a', points: samples.map((s) => ({ t: s.t, v: s.bytesIn })) },
      { name: 'sent', cls: 'line-b', points: samples.map((s) => ({ t: s.t, v: s.bytesOut })) }
    ],
    bytes
  )
}

// --- the event stream ---------------------------------------------------------------------

function onEvent(type, data) {
  if (type === 'status') render(JSON.parse(data))
  else if (type === 'history') {
    samples = JSON.parse(data)
    drawGraphs()
  } else if (type === 'sample') {
    samples.push(JSON.parse(data))
    samples = samples.filter((s) => s.t >= Date.now() - HOUR_MS)
    drawGraphs()
  }
}

function setLive(text, state) {
  const live = $('live')
  if (live.textContent !== text) live.textContent = text
  document.body.dataset.state = state
}

async function stream() {
  const res = await fetch('/api/events', { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' })
  if (res.status === 401) return 'unauthorized'
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`)
  setLive('Live: updates every second', 'live')
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buf = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return 'ended'
    buf += value
    let i
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i)
      buf = buf.slice(i + 2)
      let type = 'message'
      const data = []
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7)
        else if (line.startsWith('data: ')) data.push(line.slice(6))
      }
      if (data.length) onEvent(type, data.join('\n'))
    }
  }
}

async function main() {
  token = takeToken()
  for (;;) {
    if (!token) {
      $('no-token').hidden = false
      setLive('Not connected: no token', 'denied')
      return
    }
    let why
    try {
      why = await stream()
    } catch {
      why = 'error'
    }
    if (why === 'unauthorized') {
      sessionStorage.removeItem(TOKEN_KEY)
      token = null
      continue
    }
    setLive('Disconnected from the host; trying again…', 'offline')
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
}

main()
