import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { KIND, OpRing } from '../../host/plugins/op-ring.ts'
import { Outbox } from '../../host/plugins/outbox.ts'

type Rec = [op: number, conn: number, kind: number, num: number, bytes: number[] | null]

/** A producer and a consumer over one small ring in one SharedArrayBuffer. */
function pair(capacity = 256, maxPayload = 48) {
  const sab = new SharedArrayBuffer(64 + capacity)
  const ctrl = new Int32Array(sab, 0, 16)
  const producer = new OpRing(sab, ctrl, 0, 1, 2, 64, capacity, maxPayload, 'producer')
  const consumer = new OpRing(sab, ctrl, 0, 1, 2, 64, capacity, maxPayload, 'consumer')
  const read = (): Rec[] => {
    const got: Rec[] = []
    consumer.read((op, conn, kind, num, bytes) => got.push([op, conn, kind, num, bytes && [...bytes]]))
    return got
  }
  return { sab, ctrl, producer, consumer, read }
}

test('records come out whole and in order, across the end of the ring many times', () => {
  const { producer, read } = pair()
  const sent: Rec[] = []
  const got: Rec[] = []
  for (let i = 0; i < 2_000; i++) {
    const len = (i * 13) % 49 // 0..48 bytes: every padding, and wraps at every offset
    const bytes = Array.from({ length: len }, (_, j) => (i + j) & 0xff)
    const rec: Rec = i % 5 === 0 ? [i % 200, -i - 1, KIND.NUMBER, i * 1000, null] : [i % 200, i, KIND.BYTES, len, bytes]
    while (!producer.write(rec[0], rec[1], rec[2], rec[3], rec[4] && Uint8Array.from(rec[4]))) got.push(...read())
    sent.push(rec)
    if (i % 7 === 0) got.push(...read())
  }
  got.push(...read())
  assert.deepEqual(got, sent)
})

test('a full ring refuses a record without writing any of it', () => {
  const { producer, consumer, read } = pair(256, 48)
  let n = 0
  while (producer.write(1, n, KIND.BYTES, 0, new Uint8Array(40).fill(n))) n++
  assert.ok(n >= 4 && n <= 5, `${n} records of 52 bytes fit 256`)
  assert.equal(consumer.pending, true)
  const got = read()
  assert.deepEqual(got.map((r) => r[1]), [...Array(n).keys()])
  assert.ok(producer.write(1, 99, KIND.NUMBER, 7, null), 'room again once read')
  assert.deepEqual(read(), [[1, 99, KIND.NUMBER, 7, null]])
})

test('a read from inside a visit reads nothing; the outer read goes on in order', () => {
  const { producer, consumer } = pair()
  for (let i = 0; i < 3; i++) producer.write(1, i, KIND.NUMBER, i, null)
  const seen: number[] = []
  consumer.read((_op, conn) => {
    seen.push(conn)
    assert.equal(consumer.read(() => seen.push(-1)), 0)
  })
  assert.deepEqual(seen, [0, 1, 2])
})

test('the geometry is checked: a payload must fit a quarter of the ring', () => {
  const sab = new SharedArrayBuffer(64 + 256)
  const ctrl = new Int32Array(sab, 0, 16)
  assert.throws(() => new OpRing(sab, ctrl, 0, 1, 2, 64, 256, 200, 'producer'), RangeError)
  assert.throws(() => new OpRing(sab, ctrl, 0, 1, 2, 64, 250, 8, 'producer'), RangeError)
})

test('an outbox keeps what does not fit, in order, and asks to be woken; flush sends it once there is room', () => {
  const { ctrl, producer, consumer, read } = pair(256, 48)
  let wakes = 0
  const out = new Outbox(producer, (op) => op !== 3, () => wakes++)
  const chunk = new Uint8Array(40)
  for (let i = 0; i < 10; i++) out.pushBytes(2, i, chunk.fill(i)) // the caller reuses its buffer at once
  out.push(3, 10, { what: 'json' })
  assert.equal(Atomics.load(ctrl, 2), 1, 'marked full')
  const got: Rec[] = []
  for (let rounds = 0; got.length < 11 && rounds < 20; rounds++) {
    got.push(...read())
    if (consumer.takeFull()) out.flush()
  }
  assert.deepEqual(got.map((r) => r[1]), [...Array(11).keys()])
  for (const r of got.slice(0, 10)) assert.ok(r[4]!.every((b) => b === r[1]), `conn ${r[1]}'s bytes are its own`)
  assert.equal(got[10][2], KIND.JSON)
  assert.deepEqual(JSON.parse(Buffer.from(got[10][4]!).toString()), { what: 'json' })
  assert.ok(wakes >= 1 && wakes <= 4, `at most one wake per flush (${wakes})`)
  assert.throws(() => out.pushBytes(2, 0, new Uint8Array(49)), RangeError)
})

test('an outbox with thousands of ops waiting sends them in order across many partial flushes', () => {
  const { producer, consumer, read } = pair(256, 48)
  const out = new Outbox(producer, () => true, () => {})
  const n = 12_000 // past the point where the sent part of the queue is dropped in one go
  for (let i = 0; i < n; i++) out.push(1, i, i)
  const got: number[] = []
  for (let rounds = 0; got.length < n && rounds < n; rounds++) {
    for (const r of read()) got.push(r[1])
    consumer.takeFull()
    out.flush()
  }
  assert.equal(got.length, n)
  assert.ok(
    got.every((conn, i) => conn === i),
    'in order'
  )
  out.push(1, n, n)
  assert.deepEqual(read().map((r) => r[1]), [n], 'an empty queue writes straight to the ring again')
})

test('records cross threads intact while both ends run at once', async () => {
  const capacity = 4096
  const sab = new SharedArrayBuffer(64 + capacity)
  const ctrl = new Int32Array(sab, 0, 16)
  const consumer = new OpRing(sab, ctrl, 0, 1, 2, 64, capacity, 1000, 'consumer')
  const total = 20_000
  // a worker does not inherit tsx's hooks: bundle the helper (and op-ring.ts) into one script
  const { buildSync } = await import('esbuild')
  const code = buildSync({ entryPoints: [fileURLToPath(new URL('../helpers/ring-producer.ts', import.meta.url))], bundle: true, format: 'esm', platform: 'node', write: false }).outputFiles[0].text
  const worker = new Worker(new URL('data:text/javascript;base64,' + Buffer.from(code).toString('base64')), { workerData: { sab, capacity, total } })
  let failed: Error | null = null
  worker.once('error', (err) => (failed = err))
  let next = 0
  let bad = 0
  while (next < total && failed === null) {
    consumer.read((_op, conn, _kind, num, b) => {
      if (conn !== next || num !== (conn * 31) % 1000 || b!.some((x, j) => x !== ((conn + j) & 0xff))) bad++
      next++
    })
    await new Promise((r) => setImmediate(r))
  }
  await worker.terminate()
  assert.equal(failed, null)
  assert.equal(next, total)
  assert.equal(bad, 0)
})
