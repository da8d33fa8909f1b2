import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import { createHash } from 'node:crypto'
import { ONION_BODY_BYTES, ONION_MAX_DATA, ONION_MESSAGE_BYTES, RELAY_CMD, decodeExact, encode, onionMessage } from '../../host/messages.ts'
import { clientHandshake, relayHandshake } from '../../host/onion/hop-handshake.ts'
import { HopCipher } from '../../host/onion/onion-layers.ts'
import { CircuitLayers, openOnion, sealOnion } from '../../host/onion/client-layers.ts'

/** A circuit of `n` hops with both ends' layer state, keyed by real handshakes. */
function circuit(n: number): { client: HopCipher[]; relays: HopCipher[] } {
  const client: HopCipher[] = []
  const relays: HopCipher[] = []
  for (let i = 0; i < n; i++) {
    const kp = DHT.keyPair()
    const hs = clientHandshake(kp.publicKey)
    const answer = relayHandshake(kp, hs.ephemeral)
    client.push(new HopCipher(hs.finish(answer)))
    relays.push(new HopCipher(answer.keys))
  }
  return { client, relays }
}

function message(text: string): Buffer {
  const m = Buffer.alloc(ONION_MESSAGE_BYTES)
  m.write(text)
  return m
}

/** Through the relays forward; returns what the last one reads. */
function forward(relays: HopCipher[], body: Buffer): Buffer {
  let b = body
  for (const [i, r] of relays.entries()) b = r.peel(b, `hop ${i + 1}`)
  return b
}

/** Written by relay `from` (1-based), wrapped by it and every hop before it. */
function backward(relays: HopCipher[], msg: Buffer, from = relays.length): Buffer {
  let b = relays[from - 1].wrap(msg)
  for (let i = from - 2; i >= 0; i--) b = relays[i].wrap(b)
  return b
}

test('a message crosses one, two and three hops both ways, cell after cell', () => {
  for (const n of [1, 2, 3]) {
    const { client, relays } = circuit(n)
    for (let round = 0; round < 4; round++) {
      const out = forward(relays, sealOnion(client, message(`to the last of ${n}, #${round}`)))
      assert.equal(out.byteLength, ONION_BODY_BYTES, 'every hop keeps the body size')
      assert.deepEqual(out.subarray(0, ONION_MESSAGE_BYTES), message(`to the last of ${n}, #${round}`))
      const back = openOnion(client, backward(relays, message(`from the last of ${n}, #${round}`)))
      assert.equal(back.hop, n)
      assert.deepEqual(back.message, message(`from the last of ${n}, #${round}`))
    }
  }
})

test('a body looks the same size and shape at every hop: no hop learns its position', () => {
  const { client, relays } = circuit(3)
  let b = sealOnion(client, message('x'))
  for (const r of relays) {
    assert.equal(b.byteLength, ONION_BODY_BYTES)
    b = r.peel(b, 'hop')
  }
})

test('a bit flipped between hops is caught by the next hop', () => {
  for (const at of [0, 1, 2]) {
    const { client, relays } = circuit(3)
    let b = sealOnion(client, message('tamper me'))
    for (let i = 0; i < at; i++) b = relays[i].peel(b, `hop ${i + 1}`)
    b[500] ^= 0x01
    assert.throws(() => relays[at].peel(b, `hop ${at + 1}`), { code: 'CIRCUIT_TAMPERED', message: new RegExp(`hop ${at + 1}`) })
  }
})

test('a replayed or reordered cell fails: the counter is the nonce', () => {
  const reordered = circuit(2)
  sealOnion(reordered.client, message('one'))
  const second = sealOnion(reordered.client, message('two'))
  assert.throws(() => reordered.relays[0].peel(second, 'hop 1'), { code: 'CIRCUIT_TAMPERED' })
  const replayed = circuit(1)
  const cell = sealOnion(replayed.client, message('once'))
  replayed.relays[0].peel(cell, 'hop 1')
  assert.throws(() => replayed.relays[0].peel(cell, 'hop 1'), { code: 'CIRCUIT_TAMPERED' })
})

test('a tampered backward cell is refused by the client', () => {
  const { client, relays } = circuit(3)
  const b = backward(relays, message('back'))
  b[900] ^= 0x80
  assert.throws(() => openOnion(client, b), { code: 'CIRCUIT_TAMPERED' })
})

test('a message from a middle hop is told apart by which prefix of the circuit authenticates it', () => {
  const { client, relays } = circuit(3)
  const truncated = openOnion(client, backward(relays, message('hop 3 is gone'), 2))
  assert.equal(truncated.hop, 2)
  assert.deepEqual(truncated.message, message('hop 3 is gone'))
  // hops 1 and 2 stay in step with the client
  assert.equal(openOnion(client.slice(0, 2), backward(relays.slice(0, 2), message('still here'))).hop, 2)
})

test('the handshake fails when the answer does not come from the relay key asked for', () => {
  const real = DHT.keyPair()
  const impostor = DHT.keyPair()
  const hs = clientHandshake(real.publicKey)
  const answer = relayHandshake(impostor, hs.ephemeral)
  assert.throws(() => hs.finish(answer), { code: 'CIRCUIT_FAILED', message: /did not prove/ })
})

test('a low-order client key is refused by the relay', () => {
  assert.throws(() => relayHandshake(DHT.keyPair(), Buffer.alloc(32)), { code: 'CIRCUIT_FAILED', message: /low-order/ })
})

test('both sides derive the same keys, distinct per direction and per handshake', () => {
  const kp = DHT.keyPair()
  const a = clientHandshake(kp.publicKey)
  const ra = relayHandshake(kp, a.ephemeral)
  const ka = a.finish(ra)
  assert.deepEqual(ka, ra.keys)
  assert.notDeepEqual(ka.forward, ka.backward)
  const b = clientHandshake(kp.publicKey)
  assert.notDeepEqual(b.finish(relayHandshake(kp, b.ephemeral)).forward, ka.forward)
})

// pinned: the bytes of a layered cell, computed by the first (allocating) implementation; the
// in-place one must give the same, or relays of two versions stop understanding each other
const LAYERS_GOLDEN: Record<number, { seal: string; wrap: string }> = {
  1: { seal: '6075fca800ddbbd0444f411264ea40d139397e67c755d73366f861dfea013428', wrap: '59ebbae914d35800979987f5126c90b2cfca477a3e17451ccee8892d59bb93df' },
  2: { seal: '594561e8e5dad65a26a5ee774274cd834b5e6758f129216dcf16ff5b188b5ab4', wrap: 'c040b8ac48dafdba218ffb46491174a59d23a4f742d7c21e002eebbcf1752dc4' },
  3: { seal: 'af7ac961a7cce90fd10ea03b7cc836add8f65127a721109c717a2541e5369279', wrap: '932c3f6f24694216f8be87322c10a28b5c81782c80845c6d9886b57bd3f5bc7d' }
}

test('layered cells have the pinned bytes, sealed by message or in place, wrapped by body or by message', () => {
  const keys = (i: number) => ({ forward: Buffer.alloc(32, 1 + i), backward: Buffer.alloc(32, 101 + i), binding: Buffer.alloc(32, 201 + i) })
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
  const msg = encode(onionMessage, { cmd: RELAY_CMD.DATA, data: Buffer.from('golden') })
  for (const n of [1, 2, 3]) {
    const hops = () => Array.from({ length: n }, (_, i) => new HopCipher(keys(i)))
    const bySeal = hops()
    sealOnion(bySeal, msg)
    assert.equal(sha(sealOnion(bySeal, msg)), LAYERS_GOLDEN[n].seal, `${n} hops, the second cell`)
    const inPlace = new CircuitLayers(hops())
    inPlace.seal(RELAY_CMD.DATA, Buffer.from('xgoldenx'), 1, 7)
    assert.equal(sha(inPlace.seal(RELAY_CMD.DATA, Buffer.from('xgoldenx'), 1, 7)), LAYERS_GOLDEN[n].seal)
    for (const fromMessage of [false, true]) {
      const relays = hops()
      let b = fromMessage ? relays[n - 1].wrapMessage(RELAY_CMD.DATA, Buffer.from('golden')) : relays[n - 1].wrap(msg)
      for (let j = n - 2; j >= 0; j--) b = relays[j].wrap(b)
      assert.equal(sha(b), LAYERS_GOLDEN[n].wrap, `${n} hops, wrapped from ${fromMessage ? 'the message' : 'a body'}`)
    }
  }
})

test('the in-place layers reuse their buffers and stay in step over many cells both ways', () => {
  const { client, relays } = circuit(3)
  const layers = new CircuitLayers(client)
  for (let i = 0; i < 50; i++) {
    const data = Buffer.alloc(ONION_MAX_DATA, i)
    let b: Buffer = layers.seal(RELAY_CMD.DATA, data)
    for (const r of relays) b = r.peel(b, 'hop')
    assert.deepEqual(decodeExact(onionMessage, b.subarray(0, ONION_MESSAGE_BYTES), 'message').data, data)
    let back: Buffer = relays[2].wrapMessage(RELAY_CMD.DATA, data, 0, 10 + i)
    for (let j = 1; j >= 0; j--) back = relays[j].wrap(back)
    const opened = layers.open(back)
    assert.equal(opened.hop, 3)
    assert.deepEqual(decodeExact(onionMessage, opened.message, 'message').data, data.subarray(0, 10 + i))
  }
  assert.throws(() => layers.add(client[0]), { code: 'INTERNAL' })
  assert.throws(() => new CircuitLayers().seal(RELAY_CMD.DATA, Buffer.alloc(1)), { code: 'INTERNAL' })
  assert.throws(() => layers.seal(RELAY_CMD.DATA, Buffer.alloc(ONION_MAX_DATA + 1)), { code: 'INTERNAL' })
})
