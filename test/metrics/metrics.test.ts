import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseMetricsAddress } from '../../host/metrics/index.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { openStream, plainClient, readBytes, removeHome, testnetWithHost } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'

/** Parse the Prometheus text format: every sample line must be `name{labels} value`. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line)
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`)
    out.set(m[1] + (m[2] ?? ''), Number(m[3]))
  }
  return out
}

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
  return parse(await res.text())
}

test('metrics: /metrics parses, values move with traffic, everything else is 404', async (t) => {
  const defer = teardown(t)
  const { testnet, h } = await testnetWithHost(defer, ['echo'], { metrics: { host: '127.0.0.1', port: 0 } })
  const m = h.host.metrics
  assert.ok(m, 'the metrics part is built')
  const url = m.url
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)

  const before = await scrape(url)
  assert.equal(before.get('hypernet_app_state{app="echo",state="running"}'), 1)
  assert.equal(before.get('hypernet_app_state{app="echo",state="failed"}'), 0)
  assert.equal(before.get('hypernet_app_received_bytes_total{app="echo"}'), 0)
  assert.equal(before.get('hypernet_service_connections{app="echo",service="echo"}'), 0)
  assert.ok((before.get('hypernet_dht_nodes') ?? 0) > 0, 'the routing table is not empty')
  assert.ok(before.has('hypernet_service_refused_connections_total{reason="denied"}'))
  assert.ok(before.has('hypernet_serving_sent_bytes_total'))
  assert.ok(before.has('hypernet_kv_records'))
  assert.ok(before.has('hypernet_dht_find_node_requests_received_total'))

  // a plain client talks to echo: connections and bytes grow
  const echo = h.host.status().services.find((s) => s.app === 'echo')!
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  const s = await openStream(dht, echo.key)
  defer(() => s.destroy())
  s.write(Buffer.from('hello metrics'))
  assert.equal((await readBytes(s, 13)).toString(), 'hello metrics')
  const during = await scrape(url)
  assert.equal(during.get('hypernet_service_connections{app="echo",service="echo"}'), 1)
  assert.equal(during.get('hypernet_app_connections{app="echo"}'), 1)
  assert.ok((during.get('hypernet_app_received_bytes_total{app="echo"}') ?? 0) >= 13, 'bytes in grew')
  assert.ok((during.get('hypernet_app_sent_bytes_total{app="echo"}') ?? 0) >= 13, 'bytes out grew')

  const other = await fetch(url.replace('/metrics', '/'))
  assert.equal(other.status, 404)
  await other.text()
  const post = await fetch(url, { method: 'POST' })
  assert.equal(post.status, 404)
  await post.text()
})

test('metrics: off by default', async (t) => {
  const defer = teardown(t)
  const { h } = await testnetWithHost(defer, [])
  assert.equal(h.host.metrics, null)
  assert.equal(h.host.parts.metrics, null)
})

test('metrics: a bad --metrics address is a one-line USAGE error, exit 2', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'hn-metrics-'))
  t.after(() => removeHome(home))
  for (const bad of ['nonsense', '127.0.0.1:70000', 'example.com:9464', '127.0.0.1']) {
    const r = await cli(home, ['start', '--local', '--metrics', bad])
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`)
    assert.match(oneLine(r.stderr), /--metrics: expected an address/)
  }
  assert.deepEqual(parseMetricsAddress('[::1]:9464'), { host: '::1', port: 9464 })
  assert.deepEqual(parseMetricsAddress('localhost:1'), { host: 'localhost', port: 1 })
})

test('metrics: config.json metrics.address turns it on, a flag wins', async () => {
  const { withConfig } = await import('../../host/cli/actions/daemon.ts')
  assert.equal(withConfig({}, {}).metrics, undefined)
  assert.equal(withConfig({ local: true }, { metrics: { address: '127.0.0.1:9999' } }).metrics, '127.0.0.1:9999')
  assert.equal(withConfig({ local: true, metrics: '' }, { metrics: { address: '127.0.0.1:9999' } }).metrics, '')
})
