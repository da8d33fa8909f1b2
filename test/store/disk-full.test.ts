import test from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyApp } from '../../host/audit/audit-app.ts'
import { exitCodeFor } from '../../host/cli/exit-codes.ts'
import { generateKeyPair } from '../../host/manifest/signing.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import { draftFor, makeSignedApp, tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { mountSmallDisk } from '../helpers/tmpfs.ts'

/**
 * Installs on a disk that runs out of space, for real: a 2 MiB tmpfs filled to a few pages of
 * its end, at every size from nothing left to enough, so the disk fills at each step of an
 * install (staging, the lock, the index). Each attempt either installs whole or fails with
 * DISK_FULL and leaves the index and the installed apps byte for byte as they were.
 */

async function verified(dir: string, name: string, version: string, keyPair = generateKeyPair()) {
  const sub = join(dir, `${name}-${version}`)
  await mkdir(sub, { recursive: true })
  const a = await makeSignedApp({ name, dir: sub, module: { salt: version }, draft: { ...draftFor(name), app: { name, version } }, keyPair })
  return verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile })
}

/** Every file under `dir` with a hash of its bytes: the store as a reader would find it. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function walk(d: string, rel: string): Promise<void> {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name)
      if ((await stat(p)).isDirectory()) await walk(p, `${rel}${name}/`)
      else
        out[`${rel}${name}`] = createHash('sha256')
          .update(await readFile(p))
          .digest('hex')
    }
  }
  await walk(dir, '')
  return out
}

test('an install that runs out of disk space fails with DISK_FULL and changes nothing', async (t) => {
  const disk = await mountSmallDisk('2m')
  if (typeof disk === 'string') return t.skip(`no tmpfs: ${disk}`)
  const defer = teardown(t)
  defer(() => disk.unmount())
  // apps are made off the small disk; only the store lives on it
  const src = await tempDir()
  defer(src.cleanup)
  const kp = generateKeyPair()
  const v1 = await verified(src.dir, 'echo', '1.0.0', kp)
  const v2 = await verified(src.dir, 'echo', '1.1.0', kp)
  const other = await verified(src.dir, 'other', '1.0.0')
  const storeDir = join(disk.dir, 'store')
  const store = createAppStore({ dir: storeDir })
  await store.ready()
  await store.install(v1.manifest, v1.wasm)

  const tried: Array<{ leaveKiB: number; what: string; result: string }> = []
  for (const [what, app] of [
    ['a new app', other],
    ['an upgrade', v2]
  ] as const) {
    for (let leave = 0; ; leave += 4096) {
      const before = await snapshot(storeDir)
      disk.fill(leave)
      const result = await store.install(app.manifest, app.wasm).then(
        (o) => o.status,
        (err: Error & { code?: string }) => err
      )
      disk.free()
      if (result instanceof Error) {
        tried.push({ leaveKiB: leave / 1024, what, result: result.code ?? result.message })
        assert.equal(result.code, 'DISK_FULL', `${what} with ${leave} bytes free: ${result.message}`)
        assert.match(result.message, /disk is full/)
        assert.equal(exitCodeFor(result.code), 1)
        assert.deepEqual(await snapshot(storeDir), before, `${what} with ${leave} bytes free left the store as it was`)
        continue
      }
      tried.push({ leaveKiB: leave / 1024, what, result })
      break
    }
  }
  console.log(`# figure disk full during install: ${JSON.stringify(tried)}`)
  assert.ok(tried.filter((x) => x.result === 'DISK_FULL').length >= 4, 'the disk filled at several steps of an install')
  // with space freed, everything is there and works
  assert.deepEqual(
    (await store.list()).map((a) => `${a.name}@${a.version}`),
    ['echo@1.1.0', 'other@1.0.0']
  )
  assert.deepEqual(await readdir(join(storeDir, 'staging')), [])
  assert.equal((await readdir(join(storeDir, 'apps'))).length, 2)
})
