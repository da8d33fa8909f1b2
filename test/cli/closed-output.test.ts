import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { draftFor, tempDir } from '../helpers/app-fixture.ts'
import { buildModule } from '../helpers/wasm-builder.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'

const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))

/** Run the real binary as `hypernet-host ARGS 2>&1 | READER`; its own exit code and what the reader printed. */
function piped(home: string, args: string[], reader = 'head -1'): Promise<{ code: number; firstLine: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  const child = spawn('bash', ['-c', `${quoted} 2>&1 | ${reader}; exit "\${PIPESTATUS[0]}"`], {
    env: { ...process.env, HYPERNET_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, firstLine: out.trimEnd() })))
}

test('a reader that closes early does not cut an install short: it is installed, or the command says it failed', { timeout: 60_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const home = join(tmp.dir, 'home')
  const wasm = join(tmp.dir, 'echo.wasm')
  await writeFile(wasm, buildModule())
  await writeFile(join(tmp.dir, 'echo.draft.json'), JSON.stringify(draftFor('echo'), null, 2))
  assert.equal((await cli(home, ['keys', 'generate'])).code, 0)
  assert.equal((await cli(home, ['sign', wasm, '--manifest', join(tmp.dir, 'echo.draft.json')])).code, 0)

  // `true` reads nothing and is gone before node has started, so the very first line (the
  // privileges, printed before the store is written) meets a closed pipe: the case `| head -1`
  // hits whenever head wins the race
  const r = await piped(home, ['install', wasm, '--yes'], 'true')
  assert.equal(r.code, 0, 'the install itself succeeded')
  const list = await cli(home, ['list', '--json'])
  assert.deepEqual(
    JSON.parse(list.stdout).map((a: { name: string }) => a.name),
    ['echo'],
    'exit 0 means the app is installed'
  )
})

test('logs --follow ends when its reader goes away, as tail -f does', { timeout: 60_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const file = join(tmp.dir, 'logs', 'host.log')
  await mkdir(join(tmp.dir, 'logs'))
  const line = (msg: string) => JSON.stringify({ level: 'info', time: '2026-01-01T00:00:00.000Z', msg }) + '\n'
  await writeFile(file, line('first') + line('second'))
  const run = piped(tmp.dir, ['logs', '--follow'])
  // new lines keep coming until the command notices nobody reads them
  let done = false
  void run.then(() => (done = true))
  for (let i = 0; !done; i++) {
    await appendFile(file, line(`more ${i}`))
    await new Promise((r) => setTimeout(r, 100))
  }
  const r = await run
  assert.match(r.firstLine, /INFO  first$/)
  assert.equal(r.code, 0)
})
