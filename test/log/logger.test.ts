import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { promisify } from 'node:util'
import { createLogger } from '../../host/log/logger.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

async function jsonLines(file: string): Promise<any[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
}

test('the logger writes one JSON object a line to its file and readable lines to a terminal, by level', async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const file = join(tmp.dir, 'logs', 'host.log')
  const term = new PassThrough()
  let seen = ''
  term.on('data', (d) => (seen += d))
  const root = createLogger({ file, fileLevel: 'debug', terminal: term, terminalLevel: 'info' })
  const log = root.child({ app: 'echo' })
  log.debug('quiet detail', { n: 1 })
  log.warn('something odd', { key: Buffer.from([0xab, 0xcd]), big: 12n, nested: { id: new Uint8Array([1, 2]) } })
  root.info('escape \x1b[2J here')
  await root.close()
  await root.close()
  const lines = await jsonLines(file)
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg, l.app]),
    [
      ['debug', 'quiet detail', 'echo'],
      ['warn', 'something odd', 'echo'],
      ['info', 'escape \x1b[2J here', undefined]
    ]
  )
  assert.deepEqual([lines[1].key, lines[1].big, lines[1].nested], ['abcd', '12', { id: '0102' }])
  assert.ok(!Number.isNaN(Date.parse(lines[0].time)))
  assert.equal(lines[0].pid, undefined, 'no pid or hostname on every line')
  assert.doesNotMatch(seen, /quiet detail/)
  assert.match(seen, /^\d\d:\d\d:\d\d\.\d{3} WARN {2}something odd {2}app=echo key=abcd big=12 nested=\{"id":"0102"\}$/m)
  // a terminal never gets a control character from a line (plugins write some of them)
  assert.match(seen, /INFO {2}escape \\x1b\[2J here$/m)
  // closed: later lines are dropped, not thrown
  root.error('after close')
  assert.equal((await jsonLines(file)).length, 3)
})

test('the log file rotates by size: host.log, host.log.1 ... host.log.N, never more than maxBytes x (N + 1) in all', async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const dir = join(tmp.dir, 'logs')
  const maxBytes = 64 * 1024
  const files = 3
  const root = createLogger({ file: join(dir, 'host.log'), maxBytes, files })
  const lines = 100_000
  let peak = 0
  for (let i = 0; i < lines; i++) {
    root.child({ app: 'chatty' }).info(`line ${i} of a chatty plugin`, { i })
    // look at the disk now and then while the writes are in flight, not only at the end
    if (i % 10_000 === 0) peak = Math.max(peak, await total(dir))
  }
  await root.close()
  peak = Math.max(peak, await total(dir))
  assert.deepEqual((await readdir(dir)).sort(), ['host.log', 'host.log.1', 'host.log.2', 'host.log.3'])
  assert.ok(peak <= maxBytes * (files + 1), `${peak} bytes on disk, bound ${maxBytes * (files + 1)}`)
  for (const f of ['host.log.1', 'host.log.2', 'host.log.3']) assert.ok((await stat(join(dir, f))).size <= maxBytes)
  assert.ok(root.stats.rotations > 100, `${root.stats.rotations} rotations`)
  // the files are the newest lines, in order, none torn: .3 then .2 then .1 then the live file
  const kept = [
    ...(await jsonLines(join(dir, 'host.log.3'))),
    ...(await jsonLines(join(dir, 'host.log.2'))),
    ...(await jsonLines(join(dir, 'host.log.1'))),
    ...(await jsonLines(join(dir, 'host.log')))
  ]
  assert.equal(kept.at(-1).i, lines - 1)
  kept.forEach((l, k) => assert.equal(l.i, kept[0].i + k))
})

test('a log file already past a smaller maxBytes rotates on the first line of the next run, and a later run appends', async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const file = join(tmp.dir, 'host.log')
  const a = createLogger({ file, maxBytes: 1024 * 1024, files: 1 })
  for (let i = 0; i < 100; i++) a.info('first run', { i })
  await a.close()
  const b = createLogger({ file, maxBytes: 4096, files: 1 })
  b.info('second run')
  await b.close()
  const c = createLogger({ file, maxBytes: 4096, files: 1 })
  c.info('third run')
  await c.close()
  assert.deepEqual(
    (await jsonLines(file)).map((l) => l.msg),
    ['second run', 'third run']
  )
  assert.equal((await jsonLines(file + '.1')).at(-1).msg, 'first run')
})

test('with log.files 0 only the live file is kept, within maxBytes', async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const root = createLogger({ file: join(tmp.dir, 'host.log'), maxBytes: 4096, files: 0 })
  for (let i = 0; i < 500; i++) root.info('only the newest', { i })
  await root.close()
  assert.deepEqual(await readdir(tmp.dir), ['host.log'])
  assert.ok((await stat(join(tmp.dir, 'host.log'))).size <= 4096)
  assert.equal((await jsonLines(join(tmp.dir, 'host.log'))).at(-1).i, 499)
})

test('a process that crashes right after logging still leaves every line in the file, in order', { timeout: 60_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const file = join(tmp.dir, 'host.log')
  const script = join(tmp.dir, 'crash.mts')
  const logger = new URL('../../host/log/logger.ts', import.meta.url).href
  await writeFile(
    script,
    `import { createLogger } from ${JSON.stringify(logger)}
const log = createLogger({ file: process.argv[2] })
setTimeout(() => {
  for (let i = 0; i < 20000; i++) log.info('before the crash', { i })
  throw new Error('boom')
}, 10)
`
  )
  const crashed = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, file]).then(
    () => null,
    (err) => err
  )
  assert.match(String(crashed?.stderr), /Error: boom/)
  const lines = await jsonLines(file)
  assert.equal(lines.length, 20000, 'the lines still buffered were written on exit')
  lines.forEach((l, k) => assert.equal(l.i, k))
})

async function total(dir: string): Promise<number> {
  let sum = 0
  for (const f of await readdir(dir)) sum += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size
  return sum
}
