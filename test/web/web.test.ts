import test from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_WEB_ADDRESS, WebServer, parseWebAddress } from '../../host/web/index.ts'
import { ConnectionMeter, totalsOf } from '../../host/web/web-connections.ts'
import type { WebSnapshot } from '../../host/web/web-connections.ts'
import { WebHistory } from '../../host/web/web-history.ts'
import { loadOrCreateWebToken } from '../../host/web/web-token.ts'
import { silentLogger } from '../../host/log/index.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { openStream, plainClient, readBytes, removeHome, testnetWithHost } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'
import { startDaemonProcess } from '../helpers/daemon-process.ts'

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** One HTTP request with exactly these headers (fetch() will not let a test set Host). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Server-sent events from `url`, parsed; `next(pred)` waits for the first event matching. */
function events(url: string, token: string) {
  const queue: Array<{ event: string; data: any }> = []
  let wake: (() => void) | null = null
  let res: IncomingMessage | null = null
  const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (r) => {
    res = r
    let buf = ''
    r.setEncoding('utf8')
    r.on('data', (d) => {
      buf += d
      let i
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i)
        buf = buf.slice(i + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event && data) queue.push({ event, data: JSON.parse(data) })
      }
      wake?.()
    })
  })
  req.end()
  return {
    async next(pred: (e: { event: string; data: any }) => boolean, what: string, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const i = queue.findIndex(pred)
        if (i >= 0) return queue.splice(0, i + 1).pop()!
        queue.length = 0
        if (Date.now() > deadline) throw new Error(`no event: ${what}`)
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 500)
        })
      }
    },
    headers: () => (res as IncomingMessage | null)?.headers,
    close: () => req.destroy()
  }
}

test('web: the API answers only with the token, its own Host and no foreign Origin; the page itself needs no token', async (t) => {
  const defer = teardown(t)
  const { h, home } = await testnetWithHost(defer, ['echo'], { web: { host: '127.0.0.1', port: 0 } })
  const web = h.host.web
  assert.ok(web, 'the web part is built')
  const token = (await readFile(join(home, 'web-token'), 'utf8')).trim()
  assert.match(token, /^[0-9a-f]{64}$/)
  assert.equal((await stat(join(home, 'web-token'))).mode & 0o777, 0o600)
  assert.equal(web.url, `${web.origin}/#token=${token}`, 'the token rides in the fragment, which browsers never send')
  const o = web.origin
  const auth = { authorization: `Bearer ${token}` }
  const other = `127.0.0.1:${web.port === 65535 ? 1 : web.port + 1}`

  const page = await get(`${o}/`)
  assert.equal(page.status, 200)
  assert.match(page.headers['content-type'] ?? '', /^text\/html/)
  assert.match(page.body, /<title>Hypernet host<\/title>/)
  assert.doesNotMatch(page.body, new RegExp(h.host.identity.publicKey.toString('hex')), 'the page carries no data')
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/)
  assert.equal(page.headers['referrer-policy'], 'no-referrer')
  for (const f of ['/app.js', '/style.css']) assert.equal((await get(`${o}${f}`)).status, 200, f)
  assert.equal((await get(`${o}/nothing`)).status, 404)

  // no token, a wrong one, a token in the query string: 401 and nothing of the status
  const key = h.host.status().host.key
  for (const [what, headers, path] of [
    ['no token', {}, '/api/status'],
    ['a wrong token', { authorization: `Bearer ${'0'.repeat(64)}` }, '/api/status'],
    ['a token in the query', {}, `/api/status?token=${token}`],
    ['a token as a cookie', { cookie: `token=${token}` }, '/api/status'],
    ['no token, events', {}, '/api/events']
  ] as const) {
    const r = await get(`${o}${path}`, headers)
    assert.equal(r.status, 401, what)
    assert.equal(r.headers['www-authenticate'], 'Bearer')
    assert.ok(!r.body.includes(key) && !r.body.includes('echo'), `${what}: no status data`)
  }

  const ok = await get(`${o}/api/status`, auth)
  assert.equal(ok.status, 200)
  const st = JSON.parse(ok.body)
  assert.equal(st.host.key, key)
  assert.equal(st.web.url, `${o}/`, 'status says where the page is')
  assert.ok(!ok.body.includes(token), 'and never its token')
  assert.deepEqual(
    st.apps.map((a: any) => [a.name, a.state]),
    [['echo', 'running']]
  )
  assert.deepEqual(Object.keys(st).sort(), Object.keys(JSON.parse(JSON.stringify(h.host.status()))).sort(), 'the same fields as status --json')
  assert.equal((await get(`${o}/api/status`, { ...auth, host: `localhost:${web.port}` })).status, 200, 'localhost names it too')

  // DNS rebinding: another name, or another port, in Host is refused, page and API alike
  for (const host of [`evil.example:${web.port}`, other, 'evil.example', `127.0.0.1`])
    for (const path of ['/', '/api/status']) {
      const r = await get(`${o}${path}`, { ...auth, host })
      assert.equal(r.status, 403, `Host ${host} ${path}`)
      assert.ok(!r.body.includes(key))
    }
  // another site, or another port of this machine, in Origin is refused
  for (const origin of ['http://evil.example', `http://${other}`, `https://127.0.0.1:${web.port}`, 'null']) {
    const r = await get(`${o}/api/status`, { ...auth, origin })
    assert.equal(r.status, 403, `Origin ${origin}`)
    assert.ok(!r.body.includes(key))
  }
  assert.equal((await get(`${o}/api/status`, { ...auth, origin: o })).status, 200, 'its own origin')
  assert.equal((await get(`${o}/api/status`, { ...auth, 'sec-fetch-site': 'cross-site' })).status, 403)
  assert.equal((await get(`${o}/api/status`, auth, 'POST')).status, 405)
  assert.equal((await get(`${o}/api/events`, auth, 'HEAD')).status, 405, 'no stream for a HEAD')
  assert.equal((await get(`${o}/`, {}, 'HEAD')).status, 200)
})

test('web: the event stream sends the history, then status with each live connection, its path and throughput, until it closes', async (t) => {
  const defer = teardown(t)
  const { testnet, h, home } = await testnetWithHost(defer, ['echo'], { web: { host: '127.0.0.1', port: 0, tickMs: 200, sampleMs: 300 } })
  const web = h.host.web!
  const token = (await readFile(join(home, 'web-token'), 'utf8')).trim()
  const ev = events(`${web.origin}/api/events`, token)
  defer(() => ev.close())

  const history = await ev.next((e) => e.event === 'history', 'history')
  assert.ok(Array.isArray(history.data) && history.data.length >= 1, 'the samples so far')
  const first = await ev.next((e) => e.event === 'status', 'a first status')
  assert.equal(ev.headers()?.['content-type'], 'text/event-stream; charset=utf-8')
  assert.equal(first.data.status.apps[0].name, 'echo')
  assert.deepEqual(first.data.connections, [])

  const echo = h.host.status().services.find((s) => s.app === 'echo')!
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  const s = await openStream(dht, echo.key)
  defer(() => s.destroy())
  s.write(Buffer.alloc(4096, 1))
  assert.equal((await readBytes(s, 4096)).length, 4096)
  const open = await ev.next((e) => e.event === 'status' && e.data.connections.length === 1 && e.data.connections[0].bytesIn >= 4096, 'the connection')
  const c = open.data.connections[0]
  assert.equal(c.via, 'echo/echo')
  assert.equal(c.peer, dht.defaultKeyPair.publicKey.toString('hex'))
  assert.equal(c.path, 'direct')
  assert.ok(c.bytesOut >= 4096, 'bytes sent on the wire')
  assert.ok(typeof c.inPerSecond === 'number' && typeof c.outPerSecond === 'number')
  await ev.next((e) => e.event === 'sample' && e.data.connections === 1, 'a sample counting it')

  s.destroy()
  await ev.next((e) => e.event === 'status' && e.data.connections.length === 0, 'the connection gone')
})

test('web: start --web prints the URL with the token; a second host on the same port exits 2 with ADDRESS_IN_USE', async (t) => {
  const defer = teardown(t)
  const home = await mkdtemp(join(tmpdir(), 'hn-web-'))
  defer(() => removeHome(home))
  const port = await freeTcpPort()
  const { out, exited } = await startDaemonProcess(['--home', home, 'start', '--local', '--local-relays', '0', '--web', `127.0.0.1:${port}`], defer)
  const token = (await readFile(join(home, 'web-token'), 'utf8')).trim()
  assert.ok(out.includes(`  http://127.0.0.1:${port}/#token=${token}\n`), out)
  assert.equal((await get(`http://127.0.0.1:${port}/api/status`, { authorization: `Bearer ${token}` })).status, 200)
  const status = await cli(home, ['status'])
  assert.ok(status.stdout.includes(`web       http://127.0.0.1:${port}/  (open it with the token in ${home}/web-token`), status.stdout)
  assert.ok(!status.stdout.includes(token))

  const other = await mkdtemp(join(tmpdir(), 'hn-web-'))
  defer(() => removeHome(other))
  const r = await cli(other, ['start', '--local', '--local-relays', '0', '--web', `127.0.0.1:${port}`])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, new RegExp(`ADDRESS_IN_USE: --web: expected a free local TCP address, 127.0.0.1:${port} is already in use`))
  assert.equal((await cli(home, ['stop'])).code, 0)
  assert.equal(await exited, 0)
})

test('web: the token file is made 0600 once and kept; a readable or broken one is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hn-web-'))
  t.after(() => removeHome(dir))
  const file = join(dir, 'web-token')
  const token = await loadOrCreateWebToken(file)
  assert.match(token, /^[0-9a-f]{64}$/)
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  assert.equal(await loadOrCreateWebToken(file), token, 'the same token on the next start')
  await chmod(file, 0o644)
  await assert.rejects(loadOrCreateWebToken(file), {
    code: 'KEY_EXPOSED',
    message: new RegExp(
      `^KEY_EXPOSED: ${file}: expected a token file only its owner can read \\(mode 0600\\), got mode 0644; others on this machine may have read the token: if none did, run chmod 600 ${file}, else delete it and start again to make a new token \\(the page's URL changes\\)$`
    )
  })
  await writeFile(file, 'not a token\n', { mode: 0o600 })
  await chmod(file, 0o600)
  await assert.rejects(loadOrCreateWebToken(file), {
    code: 'CONFIG_INVALID',
    message: /web-token \/: expected the web page token, 64 hex characters, got 11 characters/
  })
})

test('web: a taken address is ADDRESS_IN_USE; at most 16 event streams; the server closes them and closes twice', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hn-web-'))
  t.after(() => removeHome(dir))
  const c = { status: (): WebSnapshot => ({ apps: [], services: [] }), log: silentLogger() }
  const a = new WebServer(c, { address: { host: '127.0.0.1', port: 0 }, tokenFile: join(dir, 'web-token') })
  await a.ready()
  const b = new WebServer(c, { address: { host: '127.0.0.1', port: a.port }, tokenFile: join(dir, 'web-token') })
  await assert.rejects(b.ready(), {
    code: 'ADDRESS_IN_USE',
    message: new RegExp(`--web: expected a free local TCP address, 127.0.0.1:${a.port} is already in use`)
  })
  await b.close()

  const token = await loadOrCreateWebToken(join(dir, 'web-token'))
  const streams = Array.from({ length: 16 }, () => events(`${a.origin}/api/events`, token))
  for (const s of streams) await s.next((e) => e.event === 'status', 'a status')
  const over = await get(`${a.origin}/api/events`, { authorization: `Bearer ${token}` })
  assert.equal(over.status, 503)
  assert.equal(over.body, 'at most 16 pages at once\n')
  await a.close()
  await a.close()
  for (const s of streams) s.close()
})

test('web: a --web address that is not loopback, or not an address, is a one-line USAGE error, exit 2', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'hn-web-'))
  t.after(() => removeHome(home))
  for (const bad of ['nonsense', '127.0.0.1:70000', 'localhost', '0.0.0.0:49740', '192.168.1.10:49740', 'example.com:80', '[::]:49740']) {
    const r = await cli(home, ['start', '--local', '--web', bad])
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`)
    assert.match(oneLine(r.stderr), /^USAGE: --web: expected a loopback address to serve the web page at/)
  }
  const demo = await cli(home, ['demo', '--web', '0.0.0.0:80'])
  assert.equal(demo.code, 2, demo.stderr)
  assert.match(demo.stderr.trimEnd().split('\n').pop()!, /^USAGE: --web: expected a loopback address/, 'demo --web is start --web')
  assert.deepEqual(parseWebAddress(DEFAULT_WEB_ADDRESS), { host: '127.0.0.1', port: 49740 })
  assert.deepEqual(parseWebAddress('[::1]:8080'), { host: '::1', port: 8080 })
  assert.deepEqual(parseWebAddress('localhost:1'), { host: 'localhost', port: 1 })
  assert.deepEqual(parseWebAddress('127.0.0.2:80'), { host: '127.0.0.2', port: 80 })

  // config.json web.address turns it on; a flag wins; a bad one names the file
  const { withConfig } = await import('../../host/cli/actions/daemon.ts')
  assert.equal(withConfig({}, {}).web, undefined)
  assert.equal(withConfig({ local: true }, { web: { address: '127.0.0.1:9999' } }).web, '127.0.0.1:9999')
  assert.equal(withConfig({ local: true, web: '' }, { web: { address: '127.0.0.1:9999' } }).web, '')
  // config set refuses what start would, with the schema's kind of error, and writes nothing
  const set = await cli(home, ['config', 'set', 'web.address', '0.0.0.0:49741'])
  assert.equal(set.code, 2, set.stderr)
  assert.match(oneLine(set.stderr), /^CONFIG_INVALID: .*config\.json \/web\/address: expected a loopback address .*, got "0\.0\.0\.0:49741"$/)
  assert.equal(existsSync(join(home, 'config.json')), false, 'nothing written')
  // a hand-written one: config show and start both refuse it the same way
  await writeFile(join(home, 'config.json'), '{"web":{"address":"10.0.0.1:80"}}')
  for (const args of [
    ['config', 'show'],
    ['start', '--local', '--local-relays', '0']
  ]) {
    const r = await cli(home, args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(oneLine(r.stderr), /^CONFIG_INVALID: .*config\.json \/web\/address: expected a loopback address/)
  }
  await rm(join(home, 'config.json'))
  const bad = await cli(home, ['config', 'set', 'web.address', 'nope'])
  assert.equal(bad.code, 2)
  assert.match(oneLine(bad.stderr), /web\/address: expected host:port, got "nope"/)
})

test('web: throughput comes from the bytes between two snapshots; the history keeps an hour of bytes per interval', () => {
  const snap = (bytesIn: number, bytesOut: number, peers = ['aa']): WebSnapshot => ({
    apps: [{ bytesIn, bytesOut }],
    services: [
      {
        app: 'echo',
        service: 'echo',
        hash: 'h',
        connections: peers.length,
        paths: { open: peers.map((peer) => ({ peer, path: 'relayed', remote: '1.2.3.4:5', relay: 'r', bytesIn, bytesOut })) }
      }
    ],
    bridges: [{ id: 'b1', kind: 'listen', name: null, target: 't', bytesIn: 5, bytesOut: 7, open: [{ peer: 'cc', path: 'onion', bytesIn: 5, bytesOut: 7 }] }],
    hidden: [{ app: 'chat', service: 'chat', connections: 1 }]
  })
  const m = new ConnectionMeter()
  const a = m.rows(snap(100, 50), 1000)
  assert.deepEqual(
    a.map((r) => [r.via, r.path, r.inPerSecond]),
    [
      ['echo/echo', 'relayed', 0],
      ['bridge t', 'anonymous', 0],
      ['chat/chat (hidden)', 'anonymous', null]
    ]
  )
  const b = m.rows(snap(2100, 1050), 3000)
  assert.equal(b[0].id, a[0].id)
  assert.deepEqual([b[0].inPerSecond, b[0].outPerSecond], [1000, 500])
  const two = m.rows(snap(2100, 1050, ['aa', 'aa']), 4000)
  assert.notEqual(two[0].id, two[1].id, 'the same peer twice: two rows')
  assert.deepEqual([b[2].peer, b[2].bytesIn, b[2].outPerSecond], ['', null, null], 'a hidden service tells no peer and no bytes')
  assert.deepEqual(totalsOf(snap(10, 20)), { connections: 3, bytesIn: 15, bytesOut: 27 })

  const hist = new WebHistory(3)
  hist.add({ connections: 1, bytesIn: 100, bytesOut: 10 }, 1)
  hist.add({ connections: 2, bytesIn: 150, bytesOut: 30 }, 2)
  hist.add({ connections: 0, bytesIn: 40, bytesOut: 30 }, 3) // an app removed: its total went
  hist.add({ connections: 0, bytesIn: 45, bytesOut: 31 }, 4)
  assert.deepEqual(hist.samples(), [
    { t: 2, connections: 2, bytesIn: 50, bytesOut: 20 },
    { t: 3, connections: 0, bytesIn: 0, bytesOut: 0 },
    { t: 4, connections: 0, bytesIn: 5, bytesOut: 1 }
  ])
})
