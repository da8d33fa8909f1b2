import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatStatus } from '../../host/cli/actions/daemon.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { Host } from '../../host/daemon/index.ts'
import { openStream, plainClient, readBytes, testnetWithHost } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'

/** Short, so the app goes back to idle within the test; nothing asserts how fast. */
const IDLE_MS = 400

function appState(host: Host, name: string) {
  const a = host.status().apps.find((x) => x.name === name)
  assert.ok(a, `${name} is installed`)
  return a
}

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

test('a host with an idle stop: echo listens and is advertised with no worker, a client wakes it, it goes back to idle; chat (timers, mesh) stays running', async (t) => {
  const defer = teardown(t)
  const { testnet, h } = await testnetWithHost(defer, ['echo', 'chat'], { idle: { defaultMs: IDLE_MS } })
  const host = h.host

  assert.equal(appState(host, 'echo').state, 'idle')
  assert.equal(appState(host, 'echo').idleStopMs, IDLE_MS)
  assert.equal(appState(host, 'chat').state, 'running', 'an app granted timers and meshes stays resident under the host-wide idle stop')
  const echo = host.status().services.find((s) => s.app === 'echo')
  assert.ok(echo, 'the idle app is listed among the services')
  const text = formatStatus(host.status()).join('\n')
  assert.match(text, /echo\s+\S+\s+idle\s+.*on demand \(stops after 0\.4 s idle; 0 starts\)/)
  assert.doesNotMatch(text, /limits:/, 'the short status has no limits lines')
  // --full: what each app runs under, one line per app (docs/plugins.md "Plugin limits")
  const full = formatStatus(host.status(), { full: true }).join('\n')
  assert.match(
    full,
    /\n  chat .*\n {13}limits: memory \d+ MiB, call timeout \d+ ms, storage \S+, connections 64, dials 8 in flight, 10\/s, in 1G\/s, out 1G\/s, idle timeout 300 s\n/
  )
  assert.match(full, /\n  echo .*\n {13}limits: memory /, 'an idle app too')

  const client = plainClient(testnet)
  defer(() => client.destroy())
  // a lookup finds it vouched for by the descriptor while no worker runs
  const peers = []
  for await (const p of lookupVerified(client, Buffer.from(echo.hash, 'hex'), { timeoutMs: 5000 })) peers.push(p)
  assert.equal(peers.length, 1)
  assert.equal(peers[0].verified, true)
  assert.equal(appState(host, 'echo').state, 'idle', 'a lookup starts nothing')

  const s = await openStream(client, echo.key)
  s.write('wake')
  assert.equal((await readBytes(s, 4)).toString(), 'wake')
  assert.equal(appState(host, 'echo').state, 'running')
  assert.equal(appState(host, 'echo').wakes, 1)
  s.end()
  s.destroy()

  await until('echo back to idle', () => appState(host, 'echo').state === 'idle')
  assert.equal(appState(host, 'chat').state, 'running')

  // a second client after the sleep is served too
  const s2 = await openStream(client, echo.key)
  s2.write('again')
  assert.equal((await readBytes(s2, 5)).toString(), 'again')
  assert.equal(appState(host, 'echo').wakes, 2)
  s2.destroy()
})

test('a per-app idle period puts an app granted timers and meshes on demand, and 0 keeps another running', async (t) => {
  const defer = teardown(t)
  const { h } = await testnetWithHost(defer, ['echo', 'chat'], { idle: { defaultMs: IDLE_MS, apps: { chat: IDLE_MS, echo: 0 } } })
  assert.equal(appState(h.host, 'chat').state, 'idle')
  assert.equal(appState(h.host, 'echo').state, 'running')
  assert.equal(appState(h.host, 'echo').idleStopMs, undefined)
})

test('many clients connecting at once to an idle app over the DHT start it once and all get their echo', async (t) => {
  const defer = teardown(t)
  const { testnet, h } = await testnetWithHost(defer, ['echo'], { idle: { defaultMs: 60_000 } })
  const echo = h.host.status().services.find((s) => s.app === 'echo')!
  const client = plainClient(testnet)
  defer(() => client.destroy())
  const answers = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const s = await openStream(client, echo.key)
      const msg = `c${String(i).padStart(2, '0')}`
      s.write(msg)
      const back = (await readBytes(s, 3)).toString()
      s.destroy()
      return back === msg
    })
  )
  assert.equal(answers.filter(Boolean).length, 20)
  assert.equal(appState(h.host, 'echo').wakes, 1)
  assert.equal(appState(h.host, 'echo').restarts, 0)
})
