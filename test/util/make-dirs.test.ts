import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeDirs, makeDirsSync } from '../../host/util/make-dirs.ts'

test('makeDirs makes every missing level, leaves an existing folder be, and fails where a file is in the way', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hn-mkdirs-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  await makeDirs(join(root, 'a', 'b', 'c'), 0o700)
  assert.ok((await stat(join(root, 'a', 'b', 'c'))).isDirectory())
  assert.equal((await stat(join(root, 'a', 'b', 'c'))).mode & 0o777, 0o700)
  await makeDirs(join(root, 'a', 'b'))
  makeDirsSync(join(root, 'a', 'd', 'e'))
  assert.ok((await stat(join(root, 'a', 'd', 'e'))).isDirectory())
  await writeFile(join(root, 'file'), 'x')
  await assert.rejects(makeDirs(join(root, 'file', 'x')), { code: 'ENOTDIR' })
  assert.throws(() => makeDirsSync(join(root, 'file', 'x')), { code: 'ENOTDIR' })
})

test('under /proc makeDirs fails with ENOENT where Node’s own mkdir -p spins forever', { timeout: 10_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('needs /proc (Linux)')
  await assert.rejects(makeDirs(`/proc/hn-${process.pid}/a/b`), { code: 'ENOENT' })
  assert.throws(() => makeDirsSync(`/proc/hn-${process.pid}/a`), { code: 'ENOENT' })
})

test('two makers of one folder at once both succeed', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hn-mkdirs-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  await Promise.all([makeDirs(join(root, 'x', 'y')), makeDirs(join(root, 'x', 'y')), makeDirs(join(root, 'x', 'z'))])
  assert.ok((await stat(join(root, 'x', 'y'))).isDirectory())
})
