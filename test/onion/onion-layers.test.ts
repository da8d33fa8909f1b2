import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import { ONION_BODY_BYTES, ONION_MESSAGE_BYTES } from '../../host/messages.ts'
import { clientHandshake, relayHandshake } from '../../host/onion/hop-handshake.ts'
import { HopCipher, openOnion, sealOnion } from '../../host/onion/onion-layers.ts'

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
