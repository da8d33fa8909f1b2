import test from 'node:test'
import assert from 'node:assert/strict'
import type DHT from 'hyperdht'
import { encodeDescriptor } from '../../host/dns/descriptor.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import type { DescriptorAppWire } from '../../host/messages.ts'

/**
 * Which descriptor a lookup trusts: the first signed record found, unless it does not list
 * the hash, then a newer one. A stand-in DHT serves an old record (seq 1, without the
 * service) to a first-found query and a new one (seq 2, with it) to a query from seq 2 on.
 */

const host = Buffer.alloc(32, 3)
const code = Buffer.alloc(32, 7)
const sh = serviceHash(code, 'echo')
const echo: DescriptorAppWire = { codeHash: code, name: 'echo', version: '1.0.0', publisher: Buffer.alloc(32, 9), services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 1) }] }

function standIn(records: Record<number, DescriptorAppWire[]>, asked: Array<{ latest?: boolean; seq?: number }>): DHT {
  const rec = (seq: number) => ({ seq, value: encodeDescriptor({ host, updated: seq, apps: records[seq] }), signature: Buffer.alloc(64), from: { host: '127.0.0.1', port: 1 } })
  const seqs = Object.keys(records).map(Number).sort((a, b) => a - b)
  return {
    lookup() {
      const q = (async function* () {
        yield { from: { host: '127.0.0.1', port: 1 }, to: { host: '127.0.0.1', port: 2 }, peers: [{ publicKey: host, relayAddresses: [] }] }
      })()
      return Object.assign(q, { destroy() {} })
    },
    async mutableGet(_key: Buffer, opts: { latest?: boolean; seq?: number } = {}) {
      asked.push(opts)
      const from = seqs.filter((s) => s >= (opts.seq ?? 0))
      if (from.length === 0) return null
      return rec(opts.latest === false ? from[0] : from[from.length - 1])
    }
  } as unknown as DHT
}

async function collect(it: AsyncGenerator<LookupPeer>): Promise<LookupPeer[]> {
  const out: LookupPeer[] = []
  for await (const p of it) out.push(p)
  return out
}

test('the first signed descriptor found that lists the hash verifies it, with no search for a newer one', async () => {
  const asked: Array<{ latest?: boolean; seq?: number }> = []
  const found = await collect(lookupVerified(standIn({ 1: [echo], 2: [echo] }, asked), sh, { timeoutMs: 2000 }))
  assert.equal(found.length, 1)
  assert.equal(found[0].verified, true)
  assert.match(found[0].how, /seq 1/)
  assert.deepEqual(asked, [{ latest: false, seq: undefined }])
})

test('a first-found descriptor that does not list the hash sends the lookup on to a newer one', async () => {
  const asked: Array<{ latest?: boolean; seq?: number }> = []
  const found = await collect(lookupVerified(standIn({ 1: [], 2: [echo] }, asked), sh, { timeoutMs: 2000 }))
  assert.equal(found.length, 1)
  assert.equal(found[0].verified, true)
  assert.match(found[0].how, /seq 2/)
  assert.deepEqual(asked, [{ latest: false, seq: undefined }, { latest: true, seq: 2 }])
})

test('when no newer descriptor lists the hash either, the host stays unverified', async () => {
  const asked: Array<{ latest?: boolean; seq?: number }> = []
  assert.deepEqual(await collect(lookupVerified(standIn({ 1: [] }, asked), sh, { timeoutMs: 2000 })), [])
  const all = await collect(lookupVerified(standIn({ 1: [] }, []), sh, { timeoutMs: 2000, all: true }))
  assert.equal(all.length, 1)
  assert.equal(all[0].verified, false)
  assert.equal(all[0].how, "the host's signed descriptor does not list this hash")
})
