import test, { before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { buildAll, closeCompiler, listTargets } from '../../scripts/build-plugins.js'
import { EDENIED, FakeHost, peerKey } from './fake-host.ts'

// The fault fixtures are for the runtime's tests; these only check that each one really
// does its fault, under the fake host, so a runtime test that passes means something.

const wasm = new Map<string, string>()

before(async () => {
  await buildAll()
  for (const t of await listTargets()) if (t.kind === 'fixture') wasm.set(t.name, t.outFile)
})

after(closeCompiler)

async function started(name: string, opts = {}): Promise<FakeHost> {
  const h = await FakeHost.load(wasm.get(name)!, opts)
  assert.equal(h.start(), 0)
  assert.equal(h.open(1, peerKey(1), name), 0)
  return h
}

test('trap traps in hn_on_data and stays callable afterwards', async () => {
  const h = await started('trap')
  assert.throws(() => h.data(1, 'x'), WebAssembly.RuntimeError)
  assert.equal(h.exports.hn_abi_version(), 1)
})

test('denied reports the codes of the calls its manifest does not grant', async () => {
  const h = await started('denied', { dial: false, storage: false, timers: false })
  h.data(1, 'go')
  assert.equal(h.take(1).toString(), `connect=${EDENIED} store_put=${EDENIED} timer_set=${EDENIED}\n`)
})

test('flood keeps sending 64 KiB chunks on every tick and counts EAGAIN', async () => {
  const h = await started('flood', { window: 256 * 1024 })
  const [[id, timer]] = [...h.timers]
  assert.deepEqual(timer, { ms: 10, repeat: true })
  for (let i = 0; i < 100; i++) h.fire(id)
  const sent = h.take(1)
  assert.equal(sent.length, 4 * 64 * 1024, 'only what the window allowed')
  assert.ok(sent.every((b) => b === 0x66))
  // 100 ticks of 32 sends; the first 4 filled the window, the rest met EAGAIN.
  assert.equal(h.logs.at(-1)?.text, `flood: conn 1 sent ${4 * 64 * 1024} bytes, ${100 * 32 - 4} EAGAIN`)
})

test('oldabi says ABI 0 and noexports exports nothing but memory', async () => {
  const old = new WebAssembly.Instance(new WebAssembly.Module(await readFile(wasm.get('oldabi')!)), {
    'extism:host/user': new Proxy({}, { get: () => () => 0 })
  })
  assert.equal((old.exports.hn_abi_version as () => number)(), 0)
  const none = new WebAssembly.Module(await readFile(wasm.get('noexports')!))
  assert.deepEqual(WebAssembly.Module.exports(none), [{ name: 'memory', kind: 'memory' }])
})

test('loop never returns from hn_on_data', async () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const noop = new Proxy({}, { get: () => () => 0 })
    const i = new WebAssembly.Instance(new WebAssembly.Module(workerData), { 'extism:host/user': noop })
    const ptr = i.exports.hn_buffer(36)
    new Uint8Array(i.exports.memory.buffer, ptr + 32, 4).set(Buffer.from('loop'))
    i.exports.hn_on_open(1, 0, 36)
    parentPort.postMessage('calling')
    i.exports.hn_on_data(1, 1)
    parentPort.postMessage('returned')
  `
  const bytes = await readFile(wasm.get('loop')!)
  const worker = new Worker(code, { eval: true, workerData: bytes })
  try {
    const messages: string[] = []
    worker.on('message', (m: string) => messages.push(m))
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.deepEqual(messages, ['calling'])
  } finally {
    await worker.terminate()
  }
})
