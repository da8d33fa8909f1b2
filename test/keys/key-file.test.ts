import test from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createKeyFile, loadOrCreateKeyFile, readKeyFile } from '../../host/keys/key-file.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

async function setup(t: TestContext) {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  return { dir: tmp.dir, home: join(tmp.dir, 'home') }
}

test('a publisher key readable by others is refused with KEY_EXPOSED, as ssh refuses one', { timeout: 30_000 }, async (t) => {
  const s = await setup(t)
  assert.equal((await cli(s.home, ['keys', 'generate'])).code, 0)
  const file = join(s.home, 'keys', 'publisher.key')
  await chmod(file, 0o644)
  const out = await cli(s.home, ['keys', 'show'])
  assert.equal(out.code, 4)
  assert.equal(
    oneLine(out.stderr),
    `KEY_EXPOSED: ${file}: expected a key file only its owner can read (mode 0600), got mode 0644; others on this machine may have read the secret key: if none did, run chmod 600 ${file}, else make a new key`
  )
  assert.equal((await stat(file)).mode & 0o777, 0o644, "the mode is not changed behind the owner's back")
  await chmod(file, 0o600)
  assert.equal((await cli(s.home, ['keys', 'show'])).code, 0)
})

test('a host.key readable or writable by group or others is refused before the host uses it', { timeout: 30_000 }, async (t) => {
  const s = await setup(t)
  const file = join(s.dir, 'host.key')
  const kp = await createKeyFile(file)
  for (const mode of [0o640, 0o604, 0o620, 0o666]) {
    await chmod(file, mode)
    await assert.rejects(loadOrCreateKeyFile(file), { code: 'KEY_EXPOSED', message: new RegExp(`got mode 0${mode.toString(8)};`) })
  }
  await chmod(file, 0o600)
  assert.deepEqual((await readKeyFile(file)).publicKey, kp.publicKey)
  await chmod(file, 0o400)
  assert.deepEqual((await readKeyFile(file)).publicKey, kp.publicKey, 'read-only for the owner is fine')
})

test('start refuses a home whose host.key others can read, with one line and exit 4', { timeout: 30_000 }, async (t) => {
  const s = await setup(t)
  await createKeyFile(join(s.home, 'host.key'))
  await chmod(join(s.home, 'host.key'), 0o644)
  const out = await cli(s.home, ['start', '--bootstrap', '127.0.0.1:1'])
  assert.equal(out.code, 4, out.stderr)
  assert.match(out.stderr.trimEnd().split('\n').at(-1)!, /^KEY_EXPOSED: .*host\.key: expected a key file only its owner can read \(mode 0600\), got mode 0644;/)
})
