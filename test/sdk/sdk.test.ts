import test, { before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAll, buildPlugin, closeCompiler, listTargets } from '../../scripts/build-plugins.js'
import { EDENIED, ENOTFOUND, FakeHost, peerKey } from './fake-host.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
let dir = ''
let probeWasm = ''
let echoWasm = ''

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hn-sdk-'))
  probeWasm = path.join(dir, 'probe.wasm')
  await buildPlugin({ entry: path.join(here, 'probe.ts'), outFile: probeWasm })
  await buildAll()
  const echo = (await listTargets()).find((t) => t.kind === 'plugin' && t.name === 'echo')
  assert.ok(echo)
  echoWasm = echo.outFile
})

after(async () => {
  await closeCompiler()
  await rm(dir, { recursive: true, force: true })
})

/** Send probe commands on connection 1 and return its answer lines. */
function ask(host: FakeHost, ...commands: string[]): string[] {
  host.data(1, commands.join('\n') + '\n')
  return host.take(1).toString().trimEnd().split('\n')
}

async function probe(opts = {}): Promise<FakeHost> {
  const host = await FakeHost.load(probeWasm, opts)
  assert.equal(host.exports.hn_abi_version(), 1)
  assert.equal(host.start(), 0)
  assert.equal(host.open(1, peerKey(1), 'probe'), 0)
  return host
}

test('echo sends back every byte of each connection, in order', async () => {
  const host = await FakeHost.load(echoWasm)
  assert.equal(host.start(), 0)
  host.open(1, peerKey(1), 'echo')
  host.open(2, peerKey(2), 'echo')
  host.data(1, 'hello ')
  host.data(2, 'other')
  host.data(1, 'world')
  assert.equal(host.take(1).toString(), 'hello world')
  assert.equal(host.take(2).toString(), 'other')
  const big = Buffer.alloc(256 * 1024, 7)
  host.data(1, big)
  assert.deepEqual(host.take(1), big)
})

test('a send the host refuses is queued, pauses the connection and goes out on drain', async () => {
  // The host takes a send while less than `window` bytes are in flight (ABI: all or nothing).
  const host = await FakeHost.load(echoWasm, { window: 4 })
  host.start()
  host.open(1, peerKey(1), 'echo')
  host.data(1, 'aaaaaaaa')
  assert.equal(host.paused.get(1), undefined, 'not paused while the host takes the bytes')
  host.data(1, 'bbbbbbbb')
  assert.equal(host.paused.get(1), true, 'paused after EAGAIN')
  // The fake host does not enforce the pause: bytes that still arrive queue behind.
  host.data(1, 'cccccccc')
  assert.equal(host.take(1).toString(), 'aaaaaaaa')
  host.drain(1)
  assert.equal(host.take(1).toString(), 'bbbbbbbb', 'one window per drain')
  assert.equal(host.paused.get(1), true, 'still paused while bytes wait')
  host.drain(1)
  assert.equal(host.take(1).toString(), 'cccccccc')
  assert.equal(host.paused.get(1), false, 'resumed once the queue is empty')
  host.drain(1)
  host.data(1, 'dd')
  assert.equal(host.take(1).toString(), 'dd', 'sends go straight to the host again')
  assert.equal(host.closedByPlugin.size, 0)
})

test('a connection whose send queue would pass 1 MiB is closed, not grown', async () => {
  const host = await FakeHost.load(echoWasm, { window: 1 })
  host.start()
  host.open(1, peerKey(1), 'echo')
  host.data(1, 'x')
  const chunk = Buffer.alloc(256 * 1024, 1)
  for (let i = 0; i < 4; i++) host.data(1, chunk)
  assert.equal(host.closedByPlugin.has(1), false, '1 MiB fits')
  host.data(1, chunk)
  assert.equal(host.closedByPlugin.has(1), true)
  assert.match(host.logs.at(-1)?.text ?? '', /over 1 MiB waiting to be sent; closing it/)
  host.drain(1)
  assert.equal(host.take(1).toString(), 'x', 'the dropped queue is never sent')
})

test('connections to a service without a handler are closed with a warning', async () => {
  const host = await FakeHost.load(echoWasm)
  host.start()
  assert.equal(host.open(5, peerKey(1), 'nope'), 0)
  assert.ok(host.closedByPlugin.has(5))
  assert.match(host.logs[0].text, /no handler for service "nope"/)
  assert.equal(host.data(5, 'late'), -3, 'data for an unknown connection answers EBADCONN')
  assert.equal(host.close(5), 0)
})

test('hn_buffer refuses more than 1 MiB and reuses one buffer for smaller events', async () => {
  const host = await FakeHost.load(echoWasm)
  assert.equal(host.exports.hn_buffer(1024 * 1024 + 1), 0)
  const a = host.exports.hn_buffer(100)
  assert.equal(host.exports.hn_buffer(1000), a)
  assert.notEqual(host.exports.hn_buffer(64 * 1024), 0)
})

test('onStart runs from hn_on_start, not at instantiation', async () => {
  const host = await FakeHost.load(probeWasm)
  assert.equal(host.logs.length, 0)
  host.start()
  assert.deepEqual(host.logs, [{ level: 1, text: 'probe started' }])
  host.open(1, peerKey(1), 'probe')
  assert.deepEqual(ask(host, 'started'), ['yes'])
})

test('timers fire their callback; one-shot timers fire once and cleared ones never', async () => {
  const host = await probe()
  const [once] = ask(host, 'after 5')
  const [every] = ask(host, 'every 10')
  assert.deepEqual(host.timers.get(Number(once)), { ms: 5, repeat: false })
  host.fire(Number(once))
  host.fire(Number(every))
  host.fire(Number(every))
  assert.deepEqual(host.take(1).toString().trimEnd().split('\n'), [`fired ${once}`, `fired ${every}`, `fired ${every}`])
  assert.deepEqual(ask(host, `clear ${every}`, `clear ${every}`), ['0', '-1'])
  assert.equal(host.exports.hn_on_timer(Number(every)), 0, 'a late firing of a cleared timer is ignored')
  assert.equal(host.take(1).length, 0)
})

test('timers without the permission answer EDENIED', async () => {
  const host = await probe({ timers: false })
  assert.deepEqual(ask(host, 'after 5'), [String(EDENIED)])
})

test('storage puts, gets and removes strings and bytes', async () => {
  const host = await probe()
  assert.deepEqual(ask(host, 'get k', 'put k v1', 'get k', 'put k v2', 'get k'), ['null ENOTFOUND', '0', 'value v1', '0', 'value v2'])
  assert.deepEqual(ask(host, 'putbig big 65536', 'getbig big'), ['0', 'bytes 65536'])
  assert.deepEqual(ask(host, 'remove k', 'remove k', 'get k'), ['0', String(ENOTFOUND), 'null ENOTFOUND'])
})

test('storage reads a value longer than 64 KiB by asking again with room for it', async () => {
  const host = await probe()
  host.store.set(Buffer.from('huge').toString('hex'), Buffer.alloc(100_000, 1))
  assert.deepEqual(ask(host, 'getbig huge'), ['bytes 100000'])
})

test('storage without the permission answers EDENIED', async () => {
  const host = await probe({ storage: false })
  assert.deepEqual(ask(host, 'put k v', 'get k'), [String(EDENIED), 'null EDENIED'])
})

test('connect returns the id at once and routes the open and the refusal to its handler', async () => {
  const host = await probe()
  const [id] = ask(host, 'connect self/chat')
  assert.deepEqual(host.dials, [{ conn: Number(id), target: 'self/chat' }])
  host.open(Number(id), peerKey(0xab), 'chat', 1)
  assert.deepEqual(host.take(1).toString(), `open ${id} chat abab\n`)
  const [refused] = ask(host, 'connect self/chat')
  host.close(Number(refused), 2)
  assert.deepEqual(host.take(1).toString(), `close ${refused} 2\n`)
})

test('serve with a factory gives each connection its own handler, made after the peer is known', { timeout: 30_000 }, async () => {
  const host = await probe()
  host.open(5, peerKey(0xcd), 'session')
  host.open(7, peerKey(0xef), 'session')
  assert.equal(host.take(1).toString(), 'session 5 service session cdcd same\nsession 7 service session efef same\n')
  host.data(5, 'abc')
  host.data(7, 'x')
  host.data(5, 'de')
  assert.equal(host.take(5).toString(), '3\n5\n', 'state of its own connection')
  assert.equal(host.take(7).toString(), '1\n')
  host.close(7, 0)
  assert.equal(host.take(1).toString(), 'gone 7 0\n')
})

test('mesh.join routes each peer (hn_on_open kind 2) to a new session; leave answers 0, then ENOTFOUND', { timeout: 30_000 }, async () => {
  const host = await probe()
  assert.deepEqual(ask(host, 'join self/chat', 'join self/chat'), ['1', '1'], 'joining again returns the same id')
  assert.deepEqual([...host.meshes.keys()], ['self/chat'])
  host.open(9, peerKey(0x12), 'self/chat', 2)
  assert.equal(host.take(1).toString(), 'session 9 mesh self/chat 1212 same\n')
  host.data(9, 'hey')
  assert.equal(host.take(9).toString(), '3\n')
  host.open(11, peerKey(0x13), 'self/other', 2)
  assert.equal(host.closedByPlugin.has(11), true, 'a peer of a mesh nobody joined is closed')
  assert.deepEqual(ask(host, 'leave self/chat', 'leave self/chat'), ['0', 'ENOTFOUND'])
})

test('mesh.join without the permission answers EDENIED', { timeout: 30_000 }, async () => {
  const host = await probe({ mesh: false })
  assert.deepEqual(ask(host, 'join self/chat'), [String(EDENIED)])
})

test('connect without the permission answers EDENIED and starts nothing', async () => {
  const host = await probe({ dial: false })
  assert.deepEqual(ask(host, 'connect self/chat'), [String(EDENIED)])
})

test('randomness, Math.random and the clock come from the host', async () => {
  const host = await probe()
  assert.deepEqual(ask(host, 'random 100000', 'mathrandom', 'now'), ['100000', 'ok', 'ok'])
})

test('abort and throw log the message at error level, then trap', async () => {
  const host = await probe()
  assert.throws(() => host.data(1, 'abort\n'), WebAssembly.RuntimeError)
  assert.deepEqual(host.logs.at(-1), { level: 3, text: 'abort: probe gave up' })
  // A throw (and a failed assert) also names the source position.
  assert.throws(() => host.data(1, 'throw\n'), WebAssembly.RuntimeError)
  assert.match(host.logs.at(-1)?.text ?? '', /^abort: probe threw at test\/sdk\/probe\.ts:\d+:\d+$/)
})

test('trace becomes a debug log line', async () => {
  const host = await probe()
  ask(host, 'trace')
  assert.deepEqual(host.logs.at(-1), { level: 0, text: 'trace: traced 1.5, 2.0' })
})
