import test from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { formatPeer } from '../../host/cli/actions/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { safeText } from '../../host/cli/safe-text.ts'
import { draftFor, makeSignedApp, tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'

const ESC = '\x1b'
// clears the screen, moves up a line and writes over it: what a manifest must never do to a prompt
const HOSTILE = `echoes${ESC}[2J${ESC}[1A${ESC}]0;title\x07\r\nfake line\u009b31m\u202egnp.exe`
const SHOWN = 'echoes\\x1b[2J\\x1b[1A\\x1b]0;title\\x07\\x0d\\x0afake line\\x9b31m\\u202egnp.exe'

async function setup(t: TestContext) {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  return { dir: tmp.dir, home: join(tmp.dir, 'home') }
}

test('safeText escapes C0, DEL, C1 and bidi controls and leaves other text as it is', { timeout: 5_000 }, () => {
  assert.equal(safeText(HOSTILE), SHOWN)
  assert.equal(safeText('plain é 日本 ✓ \\x1b'), 'plain é 日本 ✓ \\x1b')
  assert.equal(safeText('\x00\x7f\t'), '\\x00\\x7f\\x09')
})

test('audit shows an ESC sequence in a manifest description escaped, never raw', { timeout: 30_000 }, async (t) => {
  const s = await setup(t)
  const app = await makeSignedApp({ dir: s.dir, draft: { ...draftFor('echo'), app: { name: 'echo', version: '1.0.0', description: HOSTILE } } })
  const out = await cli(s.home, ['audit', app.wasmFile])
  assert.equal(out.code, 0, out.stderr)
  assert.ok(
    !out.stdout.includes(ESC) && !out.stdout.includes('\r') && !out.stdout.includes('\u009b') && !out.stdout.includes('\u202e'),
    'no raw control character reaches the terminal'
  )
  assert.ok(out.stdout.split('\n').includes(`app          echo 1.0.0 - ${SHOWN}`), out.stdout)
})

test('the install consent prompt shows the description escaped, never raw', { timeout: 30_000 }, async (t) => {
  const s = await setup(t)
  const app = await makeSignedApp({ dir: s.dir, draft: { ...draftFor('echo'), app: { name: 'echo', version: '1.0.0', description: HOSTILE } } })
  const out = await cli(s.home, ['install', app.wasmFile], { interactive: true, answer: 'n' })
  assert.equal(out.code, 1)
  assert.match(out.stderr, /is requesting the following privileges:/)
  assert.ok(!out.stderr.includes(ESC) && !out.stderr.includes('\r') && !out.stderr.includes('\u009b'), 'no raw control character in the prompt')
  assert.ok(out.stderr.split('\n').includes(`description  ${SHOWN}`), out.stderr)
})

test("lookup output escapes what a peer's descriptor says", { timeout: 5_000 }, () => {
  const peer = {
    verified: true,
    hostKey: 'a'.repeat(64),
    kind: 'app',
    app: `echo${ESC}[2J`,
    version: '1.0.0',
    service: 'echo',
    port: 7,
    serviceKey: 'b'.repeat(64),
    publisher: 'c'.repeat(64),
    how: 'signed descriptor'
  } as unknown as LookupPeer
  const line = formatPeer(peer)
  assert.ok(!line.includes(ESC))
  assert.match(line, /echo\\x1b\[2J@1\.0\.0/)
})
