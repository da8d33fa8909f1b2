import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import Protomux from 'protomux'
import { AppsSession } from '../../host/apps/index.ts'
import { APPS_PROTOCOL } from '../../host/constants.ts'
import { appsCode, appsGetCode, appsGetManifest, appsManifest, appsRefused } from '../../host/messages.ts'
import type { AppsCodeWire, AppsGetCodeWire } from '../../host/messages.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * Vendors that break the apps protocol, written by hand on protomux: each misbehaviour must end
 * that request (or session) with a coded error, never a hang and never bytes that were not asked for.
 */

type Misbehave = (send: (m: AppsCodeWire) => void, req: AppsGetCodeWire) => void

async function fakeVendor(defer: (fn: () => unknown) => void, bootstrap: { host: string; port: number }[], misbehave: Misbehave): Promise<Buffer> {
  const dht = new DHT({ bootstrap })
  defer(() => dht.destroy())
  const keyPair = DHT.keyPair()
  const server = dht.createServer({}, (stream: SecretStream) => {
    stream.on('error', () => {})
    const channel = Protomux.from(stream).createChannel({ protocol: APPS_PROTOCOL })!
    let code: { send(m: AppsCodeWire): boolean }
    channel.addMessage({ encoding: appsGetManifest })
    channel.addMessage({ encoding: appsManifest })
    channel.addMessage({ encoding: appsGetCode, onmessage: (req: AppsGetCodeWire) => misbehave((m) => code.send(m), req) })
    code = channel.addMessage({ encoding: appsCode })
    channel.addMessage({ encoding: appsRefused })
    channel.open()
  })
  await server.listen(keyPair)
  defer(() => server.close())
  return keyPair.publicKey
}

test('a vendor that breaks the apps protocol ends the fetch with a coded error', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const client = new DHT({ bootstrap: testnet.bootstrap })
  defer(() => client.destroy())
  const hash = Buffer.alloc(32, 1)
  const cases: Array<[string, Misbehave, string]> = [
    ['bytes out of order', (send, r) => send({ id: r.id, offset: r.offset + 1, data: Buffer.alloc(10) }), 'BAD_MESSAGE'],
    ['more bytes than asked for', (send, r) => send({ id: r.id, offset: r.offset, data: Buffer.alloc(r.length + 1) }), 'BAD_MESSAGE'],
    ['an answer to no request', (send, r) => send({ id: r.id + 100, offset: r.offset, data: Buffer.alloc(1) }), 'BAD_MESSAGE'],
    ['an empty chunk', (send, r) => send({ id: r.id, offset: r.offset, data: Buffer.alloc(0) }), 'BAD_MESSAGE'],
    [
      'one byte now and then, forever',
      (send, r) => {
        let at = r.offset
        const timer = setInterval(() => send({ id: r.id, offset: at++, data: Buffer.alloc(1) }), 50)
        setTimeout(() => clearInterval(timer), 5000)
      },
      'TIMEOUT'
    ]
  ]
  for (const [what, misbehave, code] of cases) {
    const key = await fakeVendor(defer, testnet.bootstrap, misbehave)
    const session = await AppsSession.open(client, key, { timeoutMs: 300 })
    defer(() => session.close())
    const got: number[] = []
    await assert.rejects(
      session.getCode(hash, 0, 4096, (_at, d) => got.push(d.byteLength)),
      { code },
      what
    )
    assert.ok(got.reduce((a, b) => a + b, 0) <= 4096, `${what}: never more than asked for`)
  }
})
