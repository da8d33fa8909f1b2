import test from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlServer } from '../../host/control/control-server.ts'
import type { ControlOp, ControlServerInit } from '../../host/control/control-server.ts'
import { callDaemon } from '../../host/control/control-client.ts'
import { controlOps } from '../../host/daemon/control-ops.ts'
import { NO_ARGS } from '../../host/control/control-args.ts'
import { HypernetError } from '../../host/errors.ts'
import { silentLogger } from '../../host/log/logger.ts'
import type { ControlHost } from '../../host/daemon/control-ops.ts'
import { teardown } from '../helpers/teardown.ts'

interface Answer {
  id: unknown
  ok?: boolean
  result?: any
  event?: unknown
  error?: { code: string; message: string }
}

/** The daemon's real operations over a stand-in host: no DHT, no KV, no bridges, no apps. */
function standInHost(socket: string, stops: { n: number }): ControlHost {
  const host = {
    paths: { socket },
    built: {},
    status: () => ({ host: { key: 'k' }, apps: [], services: [] }),
    sync: async () => {},
    restartApp: async (name: string) => {
      throw HypernetError.APP_NOT_FOUND(name)
    }
  }
  void stops
  return host as unknown as ControlHost
}

async function serve(
  t: TestContext,
  ops?: Record<string, ControlOp>,
  init: ControlServerInit = {}
): Promise<{ path: string; server: ControlServer; stops: { n: number } }> {
  const defer = teardown(t)
  const dir = await mkdtemp(join(tmpdir(), 'hn-ctl-'))
  defer(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'hypernet.sock')
  const stops = { n: 0 }
  const server = new ControlServer(path, ops ?? controlOps(standInHost(path, stops), () => stops.n++), silentLogger(), init)
  await server.ready()
  defer(() => server.close())
  return { path, server, stops }
}

/** A client connection that collects answer lines from its first byte on. */
interface Conn {
  socket: Socket
  answers: Answer[]
  finals: number
  closed: boolean
  wake: () => void
  destroy(): void
}

function open(path: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    const c: Conn = { socket, answers: [], finals: 0, closed: false, wake: () => {}, destroy: () => socket.destroy() }
    let buf = ''
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8')
      let nl: number
      while ((nl = buf.indexOf('\n')) !== -1) {
        const a = JSON.parse(buf.slice(0, nl)) as Answer
        buf = buf.slice(nl + 1)
        c.answers.push(a)
        if (a.ok !== undefined) c.finals++
      }
      c.wake()
    })
    socket.on('close', () => {
      c.closed = true
      c.wake()
    })
    socket.once('connect', () => {
      socket.on('error', () => {})
      resolve(c)
    })
    socket.once('error', reject)
  })
}

/** Write `data` and wait until `count` more final answers came or the server closed; answers since the call. */
function exchange(c: Conn, data: Buffer | string, count: number): Promise<{ answers: Answer[]; closed: boolean }> {
  const from = c.answers.length
  const want = c.finals + count
  return new Promise((resolve) => {
    c.wake = () => {
      if (c.finals >= want || c.closed) resolve({ answers: c.answers.slice(from), closed: c.closed && c.finals < want })
    }
    if (!c.closed) c.socket.write(data)
    c.wake()
  })
}

async function ask(path: string, line: Buffer | string): Promise<Answer> {
  const s = await open(path)
  try {
    const { answers } = await exchange(s, line, 1)
    assert.equal(answers.length, 1, `one answer to ${JSON.stringify(String(line))}`)
    return answers[0]
  } finally {
    s.destroy()
  }
}

test('null on the control socket is refused with BAD_MESSAGE on that connection, which still answers status after', { timeout: 10_000 }, async (t) => {
  const { path } = await serve(t)
  const s = await open(path)
  t.after(() => s.destroy())
  const { answers } = await exchange(s, 'null\n{"id":2,"op":"status"}\n', 2)
  assert.equal(answers[0].ok, false)
  assert.equal(answers[0].error!.code, 'BAD_MESSAGE')
  assert.equal(answers[0].error!.message, 'BAD_MESSAGE: control request: expected a JSON object { id, op, args }, got null')
  assert.deepEqual({ id: answers[1].id, ok: answers[1].ok }, { id: 2, ok: true })
})

test('JSON that is not an object is refused with BAD_MESSAGE naming what came', { timeout: 10_000 }, async (t) => {
  const { path } = await serve(t)
  for (const [line, got] of [
    ['[]', 'an array'],
    ['42', 'number 42'],
    ['"status"', '"status"'],
    ['true', 'boolean true']
  ]) {
    const a = await ask(path, line + '\n')
    assert.equal(a.error?.message, `BAD_MESSAGE: control request: expected a JSON object { id, op, args }, got ${got}`, line)
  }
  const a = await ask(path, '{"op":"status"\n')
  assert.equal(a.error?.code, 'BAD_MESSAGE')
  assert.match(a.error!.message, /got text that is not JSON/)
})

test('operation names from Object.prototype are unknown operations, refused with UNKNOWN_OP', { timeout: 10_000 }, async (t) => {
  const { path } = await serve(t)
  for (const op of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'nope']) {
    const a = await ask(path, JSON.stringify({ id: 7, op }) + '\n')
    assert.equal(a.id, 7)
    assert.equal(a.ok, false, op)
    assert.equal(a.error?.code, 'UNKNOWN_OP', op)
    assert.match(a.error!.message, new RegExp(`^UNKNOWN_OP: op: expected one of status, reload, restart, .*, got "${op}"$`))
  }
})

test('a request envelope with a wrong or extra field is refused with BAD_MESSAGE naming the field', { timeout: 10_000 }, async (t) => {
  const { path } = await serve(t)
  assert.equal((await ask(path, '{"id":1}\n')).error?.message, 'BAD_MESSAGE: control request: missing required field "op"')
  assert.equal((await ask(path, '{"id":1,"op":5}\n')).error?.message, 'BAD_MESSAGE: control request/op: expected string, got number 5')
  assert.equal((await ask(path, '{"id":1,"op":"status","args":[]}\n')).error?.message, 'BAD_MESSAGE: control request/args: expected object, got an array')
  assert.equal((await ask(path, '{"id":1,"op":"status","__proto__":{}}\n')).error?.message, 'BAD_MESSAGE: control request: unknown field "__proto__"')
  assert.equal((await ask(path, '{"id":{},"op":"status"}\n')).id, null, 'an id that is not an id is not echoed')
})

test('args that do not match the operation schema are refused with BAD_ARGS naming the field', { timeout: 10_000 }, async (t) => {
  const { path } = await serve(t)
  const cases: Array<[unknown, string]> = [
    [{ op: 'restart', args: { app: 5 } }, 'BAD_ARGS: restart args/app: expected string, got number 5'],
    [{ op: 'restart', args: {} }, 'BAD_ARGS: restart args: missing required field "app"'],
    [{ op: 'status', args: { x: 1 } }, 'BAD_ARGS: status args: unknown field "x"'],
    [{ op: 'lookup', args: { hash: 'a', limit: 'all' } }, 'BAD_ARGS: lookup args/limit: expected number, got "all"'],
    [{ op: 'bridge.add', args: { kind: 'sideways' } }, 'BAD_ARGS: bridge.add args/kind: expected one of "listen", "expose", got "sideways"'],
    [{ op: 'kv.put', args: { valueBase64: 'AA==', seq: -1 } }, 'BAD_ARGS: kv.put args/seq: expected a value that must be >= 0, got number -1']
  ]
  for (const [req, message] of cases) assert.equal((await ask(path, JSON.stringify(req) + '\n')).error?.message, message)
})

test('a line that is not valid UTF-8 is refused with BAD_MESSAGE, never decoded with replacement characters', { timeout: 10_000 }, async (t) => {
  const { path } = await serve(t)
  const line = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xc3]), Buffer.from('","op":"status"}\n')])
  const a = await ask(path, line)
  assert.equal(a.error?.code, 'BAD_MESSAGE')
  assert.equal(a.error?.message, `BAD_MESSAGE: control request: expected UTF-8 text, got ${line.length - 1} bytes that are not valid UTF-8`)
})

test('a line over 64 KiB is refused with MESSAGE_TOO_LARGE and only that connection is closed', { timeout: 20_000 }, async (t) => {
  const { path } = await serve(t)
  const bystander = await open(path)
  t.after(() => bystander.destroy())
  // 8 MiB with no newline: refused once the cap is passed, not buffered to the end
  const s = await open(path)
  const { answers, closed } = await exchange(s, Buffer.alloc(8 * 1024 * 1024, 0x61), 1)
  assert.equal(answers[0].error?.code, 'MESSAGE_TOO_LARGE')
  assert.equal(answers[0].error?.message, 'MESSAGE_TOO_LARGE: control request: expected at most 65536 bytes before a newline, got more; connection closed')
  if (!closed) await exchange(s, '', 1)
  assert.equal(s.closed, true)
  // a whole long line in one write, newline included
  const long = await ask(path, JSON.stringify({ op: 'status', args: { pad: 'x'.repeat(70_000) } }) + '\n')
  assert.equal(long.error?.code, 'MESSAGE_TOO_LARGE')
  assert.equal((await exchange(bystander, '{"id":1,"op":"status"}\n', 1)).answers[0].ok, true)
})

test('connections beyond the cap are refused with CONTROL_BUSY; once they close, status answers', { timeout: 20_000 }, async (t) => {
  const { path } = await serve(t)
  const sockets = await Promise.all(Array.from({ length: 200 }, () => open(path).catch(() => null)))
  t.after(() => sockets.forEach((s) => s?.destroy()))
  const answers = await Promise.all(sockets.map((s) => (s ? exchange(s, '{"id":1,"op":"status"}\n', 1) : { answers: [], closed: true })))
  const codes = answers.map((a) => (a.answers[0]?.ok ? 'ok' : (a.answers[0]?.error?.code ?? 'none')))
  assert.equal(codes.filter((c) => c === 'ok').length, 64)
  assert.equal(codes.filter((c) => c === 'CONTROL_BUSY').length, 136)
  const busy = answers.find((a) => a.answers[0]?.error?.code === 'CONTROL_BUSY')!
  assert.match(busy.answers[0].error!.message, /^CONTROL_BUSY: .*: expected at most 64 control connections at once/)
  for (const s of sockets) s?.destroy()
  const st = await callDaemon<{ apps: unknown[] }>(path, 'status')
  assert.deepEqual(st.apps, [])
})

test('one connection runs at most maxInFlight requests at once and reads the rest when they end', { timeout: 10_000 }, async (t) => {
  let running = 0
  let most = 0
  const waiting: Array<() => void> = []
  const ops: Record<string, ControlOp> = {
    slow: {
      args: NO_ARGS,
      run: async () => {
        running++
        most = Math.max(most, running)
        await new Promise<void>((resolve) => waiting.push(resolve))
        running--
        return 'done'
      }
    }
  }
  const { path } = await serve(t, ops, { maxInFlight: 4 })
  const s = await open(path)
  t.after(() => s.destroy())
  const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i, op: 'slow' }) + '\n').join('')
  const result = exchange(s, lines, 40)
  while (waiting.length < 4) await new Promise((r) => setImmediate(r))
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  assert.equal(running, 4)
  const release = setInterval(() => waiting.splice(0).forEach((r) => r()), 1)
  const { answers } = await result
  clearInterval(release)
  assert.equal(answers.length, 40)
  assert.equal(most, 4)
})

test('an idle control connection is closed; one with a request running is not', { timeout: 10_000 }, async (t) => {
  let finish = () => {}
  const ops: Record<string, ControlOp> = { wait: { args: NO_ARGS, run: () => new Promise((resolve) => (finish = () => resolve('late'))) } }
  const { path } = await serve(t, ops, { idleMs: 30 })
  const idle = await open(path)
  assert.equal((await exchange(idle, '', 1)).closed, true)
  const busy = await open(path)
  t.after(() => busy.destroy())
  const answer = exchange(busy, '{"id":1,"op":"wait"}\n', 1)
  await new Promise((r) => setTimeout(r, 120))
  assert.equal(busy.closed, false)
  finish()
  assert.equal((await answer).answers[0].result, 'late')
})

/** A small seeded generator, so a failing fuzz run can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

const SEEDS = [
  '{"id":1,"op":"status"}',
  '{"id":2,"op":"reload","args":{}}',
  '{"id":3,"op":"restart","args":{"app":"echo"}}',
  '{"id":4,"op":"lookup","args":{"hash":"' + 'ab'.repeat(32) + '","limit":1,"timeoutMs":1000}}',
  '{"id":5,"op":"bridge.add","args":{"kind":"expose","name":"web","target":"127.0.0.1:80"}}',
  '{"id":6,"op":"bridge.remove","args":{"ref":"web"}}',
  '{"id":7,"op":"kv.put","args":{"key":"k","valueBase64":"aGk=","signer":null}}',
  '{"id":8,"op":"kv.get","args":{"ref":"k"}}',
  '{"id":"x","op":"kv.ls"}',
  '{"id":9,"op":"stop"}',
  '{"op":"constructor","args":{"__proto__":{"polluted":true}}}',
  'null',
  '[1,2,3]',
  '{"id":1e400,"op":"status"}',
  '{"id":-0,"op":"toString"}'
]

const OPS = [
  'status',
  'reload',
  'restart',
  'lookup',
  'stop',
  'bridge.add',
  'bridge.remove',
  'bridge.list',
  'kv.put',
  'kv.get',
  'kv.rm',
  'kv.pin',
  'kv.unpin',
  'kv.ls',
  'kv.repair',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  '',
  'STATUS'
]
const FIELDS = [
  'app',
  'hash',
  'limit',
  'timeoutMs',
  'all',
  'kind',
  'target',
  'host',
  'port',
  'name',
  'anonymous',
  'hidden',
  'ref',
  'key',
  'valueBase64',
  'immutable',
  'signer',
  'seq',
  '__proto__',
  'constructor'
]

/** A random JSON value, nested at most `depth` deep. */
function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 0 ? 9 : 7))
  switch (k) {
    case 0:
      return null
    case 1:
      return r() < 0.5
    case 2:
      return Math.floor((r() - 0.5) * 2 ** Math.floor(r() * 60))
    case 3:
      return r() * 1e6
    case 4:
      return 'ab'.repeat(Math.floor(r() * 40))
    case 5:
      return String.fromCharCode(...Array.from({ length: Math.floor(r() * 12) }, () => Math.floor(r() * 0x3000)))
    case 6:
      return ['listen', 'expose', 'echo', '127.0.0.1:1', 'aGk='][Math.floor(r() * 5)]
    case 7:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth - 1))
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [FIELDS[Math.floor(r() * FIELDS.length)], value(r, depth - 1)]))
  }
}

/** A request that is well-formed JSON: a known or hostile op, args of any shape. */
function structured(r: () => number): unknown {
  const req: Record<string, unknown> = { id: r() < 0.8 ? Math.floor(r() * 1000) : value(r, 1), op: r() < 0.9 ? OPS[Math.floor(r() * OPS.length)] : value(r, 1) }
  if (r() < 0.8)
    req.args =
      r() < 0.8 ? Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [FIELDS[Math.floor(r() * FIELDS.length)], value(r, 2)])) : value(r, 2)
  if (r() < 0.05) req[FIELDS[Math.floor(r() * FIELDS.length)]] = value(r, 1)
  return req
}

function mutate(r: () => number): Buffer {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]
  let b = Buffer.from(pick(SEEDS))
  const kind = r()
  if (kind < 0.5) return Buffer.from(JSON.stringify(structured(r)))
  if (kind < 0.6) b = Buffer.from(Array.from({ length: Math.floor(r() * 200) + 1 }, () => Math.floor(r() * 256)))
  else if (kind < 0.65) b = Buffer.from('['.repeat(1000 + Math.floor(r() * 20_000)))
  else {
    for (let n = Math.floor(r() * 6) + 1; n > 0; n--) {
      const at = Math.floor(r() * b.length)
      const what = r()
      if (what < 0.4) b[at] = Math.floor(r() * 256)
      else if (what < 0.6) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
      else if (what < 0.8)
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from(pick(['"', '{', '}', '[', ']', ',', ':', '\\', 'null', '0', '"op"', '\u0000', '\u00ff'])),
          b.subarray(at)
        ])
      else b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(SEEDS)).subarray(Math.floor(r() * 20))])
    }
  }
  for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) b[i] = 0x20
  return b.toString('latin1').trim() === '' || b.every((c) => c === 0x20 || c === 0x09 || c === 0x0d) ? Buffer.from('x') : b
}

test('fuzz: 4,000 random and mutated control lines each get one coded answer, nothing INTERNAL, and status answers after', { timeout: 60_000 }, async (t) => {
  const { path, stops } = await serve(t)
  const r = rng(0x14a)
  const rejections: unknown[] = []
  const onRejection = (err: unknown) => rejections.push(err)
  process.on('unhandledRejection', onRejection)
  t.after(() => process.off('unhandledRejection', onRejection))
  const codes = new Map<string, number>()
  let lines = 0
  for (let round = 0; round < 40; round++) {
    const s = await open(path)
    const batch = Array.from({ length: 100 }, () => mutate(r))
    const { answers, closed } = await exchange(s, Buffer.concat(batch.flatMap((b) => [b, Buffer.from('\n')])), batch.length)
    s.destroy()
    assert.equal(closed, false, `round ${round}: the server closed the connection`)
    const finals = answers.filter((a) => a.ok !== undefined)
    assert.equal(finals.length, batch.length, `round ${round}: one answer a line`)
    for (const a of finals) {
      const code = a.ok ? 'ok' : a.error!.code
      codes.set(code, (codes.get(code) ?? 0) + 1)
      if (!a.ok) assert.match(a.error!.message, new RegExp(`^${code}: \\S`))
    }
    lines += batch.length
  }
  assert.equal(lines, 4000)
  assert.equal(codes.get('INTERNAL'), undefined, `codes: ${JSON.stringify([...codes])}`)
  for (const code of codes.keys())
    assert.ok(['ok', 'BAD_MESSAGE', 'UNKNOWN_OP', 'BAD_ARGS', 'APP_NOT_FOUND', 'DAEMON_UNREACHABLE', 'BAD_HASH'].includes(code), code)
  assert.deepEqual(rejections, [])
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  const st = await callDaemon<{ apps: unknown[] }>(path, 'status')
  assert.deepEqual(st.apps, [])
  t.diagnostic(`answers by code: ${JSON.stringify(Object.fromEntries(codes))}; stop requested ${stops.n} times`)
})
