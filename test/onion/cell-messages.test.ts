import test from 'node:test'
import assert from 'node:assert/strict'
import {
  CELL,
  ONION_BODY_BYTES,
  ONION_CELL_BYTES,
  ONION_MAX_DATA,
  ONION_MESSAGE_BYTES,
  RELAY_CMD,
  decodeExact,
  encode,
  onionBegin,
  onionCell,
  onionExtend,
  onionHandshake,
  onionHandshakeBody,
  onionMessage,
  onionCellTypeAt,
  onionConnected,
  onionReason,
  onionReasonBody,
  onionSendme,
  writeOnionCell,
  writeOnionMessage
} from '../../host/messages.ts'

const k = (b: number) => Buffer.alloc(32, b)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// pinned: a change here breaks every relay on the network
const GOLDEN = {
  handshake: '01' + '11'.repeat(32) + '22'.repeat(32),
  handshakeNoAuth: '00' + '11'.repeat(32),
  extend: '00' + '33'.repeat(32) + '44'.repeat(32),
  begin: '00' + '55'.repeat(32),
  beginWindows: '01' + '55'.repeat(32), // flag bit 1: the client keeps windows
  connected: '01', // flags: the exit keeps windows too
  sendme: '00' + '8000', // flags, cells u16 LE
  reason: '0003',
  messageHead: '010005' + '0500' + '68656c6c6f', // version, flags, cmd DATA, u16 LE length, data
  cellHead: '0103'
}

test('the cell geometry: 1024-byte cells, 974-byte messages, 969 bytes of data per cell', () => {
  assert.equal(ONION_CELL_BYTES, 1024)
  assert.equal(ONION_BODY_BYTES, 1022)
  assert.equal(ONION_MESSAGE_BYTES, 974)
  assert.equal(ONION_MAX_DATA, 969)
})

test('a cell encodes to exactly ONION_CELL_BYTES with the pinned header, and round-trips', () => {
  const body = Buffer.alloc(ONION_BODY_BYTES, 0xab)
  const buf = encode(onionCell, { type: CELL.RELAY, body })
  assert.equal(buf.byteLength, ONION_CELL_BYTES)
  assert.equal(hex(buf.subarray(0, 2)), GOLDEN.cellHead)
  const back = decodeExact(onionCell, buf, 'cell')
  assert.equal(back.type, CELL.RELAY)
  assert.deepEqual(Buffer.from(back.body), body)
})

test('a cell of another version, an unknown type or a wrong size is refused with BAD_MESSAGE', () => {
  const buf = encode(onionCell, { type: CELL.CREATE, body: Buffer.alloc(ONION_BODY_BYTES) })
  assert.throws(() => decodeExact(onionCell, Buffer.concat([Buffer.from([2]), buf.subarray(1)]), 'cell'), {
    code: 'BAD_MESSAGE',
    message: /version 2 is not supported/
  })
  assert.throws(() => decodeExact(onionCell, Buffer.concat([buf.subarray(0, 1), Buffer.from([9]), buf.subarray(2)]), 'cell'), {
    code: 'BAD_MESSAGE',
    message: /type 9 is unknown/
  })
  assert.throws(() => decodeExact(onionCell, buf.subarray(0, 1000), 'cell'), { code: 'BAD_MESSAGE', message: /expected 1024 bytes/ })
  assert.throws(() => decodeExact(onionCell, Buffer.concat([buf, Buffer.from([0])]), 'cell'), { code: 'BAD_MESSAGE' })
})

test('handshake, extend, begin and reason structs encode to the pinned bytes and round-trip', () => {
  const cases: Array<[string, Buffer, unknown, (b: Buffer) => unknown]> = [
    [
      GOLDEN.handshake,
      encode(onionHandshake, { ephemeral: k(0x11), auth: k(0x22) }),
      { ephemeral: k(0x11), auth: k(0x22) },
      (b) => decodeExact(onionHandshake, b, 'h')
    ],
    [
      GOLDEN.handshakeNoAuth,
      encode(onionHandshake, { ephemeral: k(0x11), auth: null }),
      { ephemeral: k(0x11), auth: null },
      (b) => decodeExact(onionHandshake, b, 'h')
    ],
    [
      GOLDEN.extend,
      encode(onionExtend, { relayKey: k(0x33), ephemeral: k(0x44) }),
      { relayKey: k(0x33), ephemeral: k(0x44) },
      (b) => decodeExact(onionExtend, b, 'e')
    ],
    [GOLDEN.begin, encode(onionBegin, { serviceKey: k(0x55) }), { serviceKey: k(0x55), windows: false }, (b) => decodeExact(onionBegin, b, 'b')],
    [
      GOLDEN.beginWindows,
      encode(onionBegin, { serviceKey: k(0x55), windows: true }),
      { serviceKey: k(0x55), windows: true },
      (b) => decodeExact(onionBegin, b, 'b')
    ],
    [GOLDEN.connected, encode(onionConnected, { windows: true }), { windows: true }, (b) => decodeExact(onionConnected, b, 'c')],
    [GOLDEN.sendme, encode(onionSendme, { cells: 128 }), { cells: 128 }, (b) => decodeExact(onionSendme, b, 's')],
    [GOLDEN.reason, encode(onionReason, { reason: 3 }), { reason: 3 }, (b) => decodeExact(onionReason, b, 'r')]
  ]
  for (const [golden, buf, value, decode] of cases) {
    assert.equal(hex(buf), golden)
    const back = decode(buf) as Record<string, unknown>
    for (const key of Object.keys(back)) if (back[key] instanceof Uint8Array) back[key] = Buffer.from(back[key] as Uint8Array)
    assert.deepEqual(back, value)
  }
})

test('padded bodies are exactly their size, zero-filled, and decode whatever the padding holds', () => {
  const body = encode(onionHandshakeBody, { ephemeral: k(0x11), auth: null })
  assert.equal(body.byteLength, ONION_BODY_BYTES)
  assert.equal(hex(body.subarray(0, 33)), GOLDEN.handshakeNoAuth)
  assert.ok(body.subarray(33).every((x) => x === 0))
  const reason = encode(onionReasonBody, { reason: 6 })
  assert.equal(reason.byteLength, ONION_BODY_BYTES)
  // relays leave keystream in a message's padding: it is skipped, not checked
  const msg = encode(onionMessage, { cmd: RELAY_CMD.DATA, data: Buffer.from('hello') })
  assert.equal(msg.byteLength, ONION_MESSAGE_BYTES)
  assert.equal(hex(msg.subarray(0, 10)), GOLDEN.messageHead)
  msg.fill(0xee, 10)
  const back = decodeExact(onionMessage, msg, 'message')
  assert.equal(back.cmd, RELAY_CMD.DATA)
  assert.equal(Buffer.from(back.data).toString(), 'hello')
})

test('a relay message refuses an unknown version or command, or a length past its cell', () => {
  const msg = encode(onionMessage, { cmd: RELAY_CMD.DATA, data: Buffer.alloc(ONION_MAX_DATA, 1) })
  assert.equal(decodeExact(onionMessage, msg, 'm').data.byteLength, ONION_MAX_DATA)
  const bad = (i: number, v: number) => {
    const b = Buffer.from(msg)
    b[i] = v
    return b
  }
  assert.throws(() => decodeExact(onionMessage, bad(0, 2), 'm'), { code: 'BAD_MESSAGE', message: /version 2/ })
  assert.throws(() => decodeExact(onionMessage, bad(2, 0), 'm'), { code: 'BAD_MESSAGE', message: /command 0 is unknown/ })
  assert.throws(() => decodeExact(onionMessage, bad(2, 99), 'm'), { code: 'BAD_MESSAGE', message: /command 99 is unknown/ })
  const long = Buffer.from(msg)
  long.writeUInt16LE(ONION_MAX_DATA + 1, 3)
  assert.throws(() => decodeExact(onionMessage, long, 'm'), { code: 'BAD_MESSAGE', message: /exceeds/ })
  assert.throws(() => decodeExact(onionMessage, msg.subarray(0, 100), 'm'), { code: 'BAD_MESSAGE' })
  assert.throws(() => encode(onionMessage, { cmd: RELAY_CMD.DATA, data: Buffer.alloc(ONION_MAX_DATA + 1) }), { code: 'INTERNAL' })
})

test('random bytes never crash the cell and message decoders', () => {
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed & 0xff)
  for (let i = 0; i < 2000; i++) {
    const cell = Buffer.from(Array.from({ length: ONION_CELL_BYTES }, rand))
    cell[0] = 1
    const msg = cell.subarray(0, ONION_MESSAGE_BYTES)
    msg[0] = 1
    for (const [enc, buf] of [
      [onionCell, cell],
      [onionMessage, msg]
    ] as const) {
      try {
        decodeExact(enc as typeof onionCell, buf, 'fuzz')
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'BAD_MESSAGE')
      }
    }
  }
})

test('the in-place cell and message writers give the same bytes as the structs; the cell reader refuses what the decoder refuses', () => {
  const body = Buffer.alloc(ONION_BODY_BYTES, 0x5a)
  const buf = Buffer.alloc(ONION_CELL_BYTES * 2, 0xff)
  writeOnionCell(buf, ONION_CELL_BYTES, CELL.RELAY, body)
  assert.deepEqual(buf.subarray(ONION_CELL_BYTES), encode(onionCell, { type: CELL.RELAY, body }))
  assert.equal(hex(buf.subarray(ONION_CELL_BYTES, ONION_CELL_BYTES + 2)), GOLDEN.cellHead)
  assert.throws(() => writeOnionCell(buf, 0, CELL.RELAY, body.subarray(1)), { code: 'INTERNAL' })
  assert.equal(onionCellTypeAt(buf, ONION_CELL_BYTES), CELL.RELAY)
  for (const [i, v, re] of [
    [0, 2, /version 2 is not supported/],
    [1, 9, /type 9 is unknown/],
    [1, 0, /type 0 is unknown/]
  ] as const) {
    const bad = Buffer.from(buf.subarray(ONION_CELL_BYTES))
    bad[i] = v
    assert.throws(() => onionCellTypeAt(bad, 0), { code: 'BAD_MESSAGE', message: re })
    assert.throws(() => decodeExact(onionCell, bad, 'cell'), { code: 'BAD_MESSAGE', message: re })
  }
  const msg = Buffer.alloc(ONION_MESSAGE_BYTES + 10, 0xee)
  writeOnionMessage(msg, 3, RELAY_CMD.DATA, Buffer.from('--hello--'), 2, 7)
  assert.equal(hex(msg.subarray(3, 13)), GOLDEN.messageHead)
  assert.deepEqual(msg.subarray(3, 3 + ONION_MESSAGE_BYTES), encode(onionMessage, { cmd: RELAY_CMD.DATA, data: Buffer.from('hello') }))
  writeOnionMessage(msg, 3, RELAY_CMD.DATA, new Uint8Array(Buffer.from('hello')))
  assert.deepEqual(msg.subarray(3, 3 + ONION_MESSAGE_BYTES), encode(onionMessage, { cmd: RELAY_CMD.DATA, data: Buffer.from('hello') }))
  assert.equal(msg[3 + ONION_MESSAGE_BYTES], 0xee, 'nothing past the message is touched')
  assert.throws(() => writeOnionMessage(msg, 0, RELAY_CMD.DATA, Buffer.alloc(ONION_MAX_DATA + 1)), { code: 'INTERNAL' })
})

test('flow control: SENDME is command 21; an exit of version 1 sends an empty CONNECTED, read as no windows', () => {
  assert.equal(RELAY_CMD.SENDME, 21)
  assert.deepEqual(decodeExact(onionConnected, Buffer.alloc(0), 'connected'), { windows: false })
  assert.deepEqual(decodeExact(onionConnected, Buffer.from([0]), 'connected'), { windows: false })
  assert.throws(() => decodeExact(onionConnected, Buffer.from([1, 0]), 'connected'), { code: 'BAD_MESSAGE', message: /trailing/ })
  assert.throws(() => decodeExact(onionSendme, Buffer.from([0, 1]), 'sendme'), { code: 'BAD_MESSAGE' })
  // a message carrying SENDME round-trips; one past the last command is still refused
  const m = encode(onionMessage, { cmd: RELAY_CMD.SENDME, data: encode(onionSendme, { cells: 128 }) })
  assert.equal(decodeExact(onionMessage, m, 'm').cmd, RELAY_CMD.SENDME)
  const past = Buffer.from(m)
  past[2] = 22
  assert.throws(() => decodeExact(onionMessage, past, 'm'), { code: 'BAD_MESSAGE', message: /command 22 is unknown/ })
})
