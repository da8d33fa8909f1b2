import test from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import DHT from 'hyperdht'
import { exitCodeFor } from '../../host/cli/exit-codes.ts'
import { KvService } from '../../host/kv/kv-service.ts'
import { startKvTestnet } from '../helpers/kv-testnet.ts'
import { teardown } from '../helpers/teardown.ts'
import { mountSmallDisk } from '../helpers/tmpfs.ts'

/**
 * `kv put` with the host's home on a disk that is full, for real (a 2 MiB tmpfs): the put fails
 * with DISK_FULL before anything is published (a value this host could not record would not
 * be kept alive), kv/state.json is byte for byte as it was, and once space is freed the same
 * put works.
 */

test('kv put on a full disk fails with DISK_FULL, publishes nothing, and leaves the state as it was', async (t) => {
  const disk = await mountSmallDisk('2m')
  if (typeof disk === 'string') return t.skip(`no tmpfs: ${disk}`)
  const defer = teardown(t)
  defer(() => disk.unmount())
  const testnet = await startKvTestnet(12)
  defer(() => testnet.destroy())
  const dht = testnet.createNode()
  await dht.fullyBootstrapped()
  const kvDir = join(disk.dir, 'kv')
  const kv = new KvService({ dht, identity: DHT.keyPair(), paths: { kv: kvDir, keys: join(disk.dir, 'keys') } }, { republish: false, serve: false })
  await kv.ready()
  defer(() => kv.close())

  await kv.put('first', Buffer.from('stored with room to spare'))
  const before = await readFile(join(kvDir, 'state.json'))
  const tried: Array<{ leaveKiB: number; result: string }> = []
  for (const leave of [0, 4096, 16 * 1024, 32 * 1024]) {
    disk.fill(leave)
    const err = await kv.put('second', Buffer.from(`written with ${leave} bytes free`)).then(
      () => null,
      (e: Error & { code?: string }) => e
    )
    disk.free()
    tried.push({ leaveKiB: leave / 1024, result: err ? (err.code ?? err.message) : 'stored' })
    assert.ok(err, `a put with ${leave} bytes free was refused`)
    assert.equal(err.code, 'DISK_FULL', err.message)
    assert.match(err.message, /nothing was published/)
    assert.equal(exitCodeFor(err.code), 1)
    assert.deepEqual(await readFile(join(kvDir, 'state.json')), before, 'state.json is as it was')
    assert.deepEqual((await readdir(kvDir)).sort(), ['state.json'], 'no temporary file or lock left behind')
    await assert.rejects(kv.get('second'), { code: 'NOT_FOUND' }, 'nothing was published')
  }
  // also a content-addressed put
  disk.fill(0)
  await assert.rejects(kv.putImmutable(Buffer.from('immutable')), { code: 'DISK_FULL' })
  disk.free()
  console.log(`# figure disk full during kv put: ${JSON.stringify(tried)}`)

  const put = await kv.put('second', Buffer.from('with room again'))
  assert.equal((await kv.get(put.address)).value!.toString(), 'with room again')
  assert.deepEqual((await kv.list()).map((e) => e.key).sort(), ['first', 'second'])
  assert.equal((await kv.get('first')).value!.toString(), 'stored with room to spare')

  // the disk filling between the check and the write (another process took the space): the
  // value is out, and the error says so and what it means; the state file is still whole
  const ensureRoom = kv.state.ensureRoom
  kv.state.ensureRoom = async () => {
    await ensureRoom.call(kv.state)
    disk.fill(0)
  }
  const stateBefore = await readFile(join(kvDir, 'state.json'))
  const late = await kv.put('third', Buffer.from('raced')).then(
    () => null,
    (e: Error & { code?: string }) => e
  )
  disk.free()
  kv.state.ensureRoom = ensureRoom
  assert.equal(late?.code, 'DISK_FULL')
  assert.match(late!.message, /stored on \d+ nodes but this host did not record it/)
  assert.deepEqual(await readFile(join(kvDir, 'state.json')), stateBefore)
  assert.deepEqual((await readdir(kvDir)).sort(), ['state.json'])
})
