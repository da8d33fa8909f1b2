import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from '../helpers/cli.ts'
import { removeHome, startHost } from '../helpers/hosts.ts'
import { startKvTestnet } from '../helpers/kv-testnet.ts'
import { teardown } from '../helpers/teardown.ts'

async function tempDir(_t: any, defer: (fn: () => unknown) => void): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hn-kv-cli-'))
  defer(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('kv put, get, pin, rm and ls work across two hosts on a local DHT', async (t) => {
  const defer = teardown(t)
  const testnet = await startKvTestnet(24)
  defer(() => testnet.destroy())
  const a = await startHost(testnet)
  defer(() => removeHome(a.home))
  defer(() => a.close())
  const b = await startHost(testnet)
  defer(() => removeHome(b.home))
  defer(() => b.close())
  const dir = await tempDir(t, defer)

  const put = await cli(a.home, ['kv', 'put', 'greeting', 'hello', '--json'])
  assert.equal(put.code, 0, put.stderr)
  const stored = JSON.parse(put.stdout)
  assert.match(stored.address, /^[0-9a-f]{64}$/)
  assert.equal(stored.owner, a.host.status().host.key)
  assert.deepEqual(stored.copies, { plugin: 8, mirror: 8 })
  assert.match(
    (await cli(a.home, ['kv', 'put', 'greeting', 'hello again'])).stdout,
    /^stored greeting at [0-9a-f]{64} \(seq \d+, owner [0-9a-f]{64}, copies: plugin 8, mirror 8\)\n$/
  )

  // the other host reads it by address, as raw bytes or as JSON
  const got = await cli(b.home, ['kv', 'get', stored.address])
  assert.equal(got.code, 0, got.stderr)
  assert.equal(got.stdout, 'hello again')
  const gotJson = JSON.parse((await cli(b.home, ['kv', 'get', stored.address, '--json'])).stdout)
  assert.equal(Buffer.from(gotJson.valueBase64, 'base64').toString(), 'hello again')
  assert.equal(gotJson.key, 'greeting')
  assert.equal(gotJson.owner, stored.owner)
  // and the owner by key name
  assert.equal((await cli(a.home, ['kv', 'get', 'greeting'])).stdout, 'hello again')

  // binary values from and to files; content-addressed values
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff))
  await writeFile(join(dir, 'blob.bin'), bytes)
  const file = JSON.parse((await cli(a.home, ['kv', 'put', 'blob', '--file', join(dir, 'blob.bin'), '--json'])).stdout)
  assert.equal((await cli(b.home, ['kv', 'get', file.address, '--out', join(dir, 'out.bin')])).code, 0)
  assert.ok((await readFile(join(dir, 'out.bin'))).equals(bytes))
  const content = JSON.parse((await cli(a.home, ['kv', 'put', '--immutable', 'same for everyone', '--json'])).stdout)
  assert.equal(content.kind, 'immutable')
  assert.equal((await cli(b.home, ['kv', 'get', content.address])).stdout, 'same for everyone')

  // a named key signs instead of the host identity
  const key = JSON.parse((await cli(a.home, ['keys', 'generate', '--name', 'team', '--json'])).stdout)
  const teamPut = JSON.parse((await cli(a.home, ['kv', 'put', 'logo', '<svg/>', '--key-name', 'team', '--json'])).stdout)
  assert.equal(teamPut.owner, key.publicKey)
  assert.equal((await cli(b.home, ['kv', 'get', teamPut.address])).stdout, '<svg/>')

  // b keeps a's value alive, but cannot remove it
  const pin = await cli(b.home, ['kv', 'pin', stored.address])
  assert.equal(pin.code, 0, pin.stderr)
  assert.match(pin.stdout, /^pinned [0-9a-f]{64}: greeting of [0-9a-f]{64} \(seq \d+\); this host keeps it alive/)
  const notOwner = await cli(b.home, ['kv', 'rm', stored.address])
  assert.equal(notOwner.code, 1)
  assert.match(
    notOwner.stderr,
    /^KV_NOT_OWNER: [0-9a-f]{64}: only the record's owner may change or remove it; it is owned by [0-9a-f]{64}, and this host holds no such key\n$/
  )

  // the owner removes it: every host now reads "removed"
  const removed = await cli(a.home, ['kv', 'rm', 'greeting'])
  assert.equal(removed.code, 0, removed.stderr)
  assert.match(removed.stdout, /^removed greeting at [0-9a-f]{64} \(seq \d+/)
  for (const home of [a.home, b.home]) {
    const r = await cli(home, ['kv', 'get', stored.address])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^KV_REMOVED: [0-9a-f]{64}: removed by its owner [0-9a-f]{64} \(removal seq \d+\)\n$/)
  }
  assert.match((await cli(a.home, ['kv', 'rm', 'greeting'])).stdout, /was already removed/)

  // what each host keeps alive
  const lsA = JSON.parse((await cli(a.home, ['kv', 'ls', '--json'])).stdout)
  assert.deepEqual(lsA.map((e: any) => [e.role, e.kind, e.key, e.state]).sort(), [
    ['owned', 'immutable', null, 'value'],
    ['owned', 'mutable', 'blob', 'value'],
    ['owned', 'mutable', 'greeting', 'removed'],
    ['owned', 'mutable', 'logo', 'value']
  ])
  assert.equal(lsA.find((e: any) => e.key === 'logo').signer, 'team')
  // b's repair adopts the removal of what it pinned
  await b.host.kv!.repairNow()
  const lsB = await cli(b.home, ['kv', 'ls'])
  assert.match(lsB.stdout, /^pinned {2}mutable {4}removed  [0-9a-f]{64}  greeting \(owner [0-9a-f]{8}…[0-9a-f]{4}\)  0 B/m)
  assert.equal((await cli(b.home, ['kv', 'unpin', stored.address])).code, 0)
  assert.match((await cli(b.home, ['kv', 'ls'])).stdout, /owns and pins nothing/)
  assert.match((await cli(a.home, ['status'])).stdout, /^kv {8}will store \(once its DHT node is persistent\) 0 records/m)
})

test('without a daemon, kv commands use a DHT node of their own and record what to keep alive', async (t) => {
  const defer = teardown(t)
  const testnet = await startKvTestnet(24)
  defer(() => testnet.destroy())
  const home = await tempDir(t, defer)
  const bootstrap = `${testnet.bootstrap[0].host}:${testnet.bootstrap[0].port}`

  const put = await cli(home, ['kv', 'put', 'note', 'offline host', '--bootstrap', bootstrap, '--json'])
  assert.equal(put.code, 0, put.stderr)
  const { address } = JSON.parse(put.stdout)
  const plain = await cli(home, ['kv', 'put', 'note2', 'x', '--bootstrap', bootstrap])
  assert.match(plain.stdout, /no daemon runs: this host keeps it alive from its next start/)
  assert.equal((await cli(home, ['kv', 'get', address, '--bootstrap', bootstrap])).stdout, 'offline host')
  const ls = JSON.parse((await cli(home, ['kv', 'ls', '--json'])).stdout)
  assert.deepEqual(ls.map((e: any) => e.key).sort(), ['note', 'note2'])

  // the host, started later on this home, keeps them alive
  const host = await startHost(testnet, home)
  defer(() => host.close())
  assert.equal((await host.host.kv!.repairNow()).entries, 2)
})

test('bad kv input is refused with one line naming the field and what was expected', async (t) => {
  const defer = teardown(t)
  const home = await tempDir(t, defer)
  const addr = 'ab'.repeat(32)
  const cases: Array<[string[], number, RegExp]> = [
    [['kv', 'put'], 2, /^USAGE: key: expected a key name, got none$/],
    [['kv', 'put', 'k'], 2, /^USAGE: value: expected a value argument or --file, got neither$/],
    [['kv', 'put', 'k', 'v', '--file', 'f'], 2, /^USAGE: value: expected a value argument or --file, got both$/],
    [['kv', 'put', 'k'.repeat(65), 'v'], 2, /^KV_TOO_LARGE: key: expected at most 64 bytes, got 65$/],
    [['kv', 'put', 'k', 'x'.repeat(1001)], 2, /^KV_TOO_LARGE: value: expected at most 1000 bytes, got 1001$/],
    [['kv', 'put', 'k', '--file', join(home, 'missing')], 2, /^FILE_NOT_FOUND: .*missing: value file not found$/],
    [['kv', 'put', addr, 'v'], 2, /^USAGE: key: expected a key name, got "(ab){32}", which reads as an address \(64 hex or 52 z32 characters\)$/],
    [['kv', 'put', 'a\u0007b', 'v'], 2, /^USAGE: key: expected text without control characters/],
    [['kv', 'put', '--immutable', 'a', 'b'], 2, /^USAGE: value: kv put --immutable takes one value, got a second argument "b"$/],
    [['kv', 'put', 'k', 'v', '--key-name', '../evil'], 2, /^USAGE: --key-name: expected letters, digits, "\.", "_" or "-", got "\.\.\/evil"$/],
    [['kv', 'get'], 2, /^USAGE: key: expected a key name or an address, got none$/],
    [['kv', 'pin', 'nothex'], 2, /^USAGE: address: expected a 32-byte address as 64 hex or 52 z32 characters, got "nothex"$/],
    [['kv', 'unpin', addr], 1, /^NOT_FOUND: [0-9a-f]{64}: not pinned by this host \(see kv ls\)$/],
    [['kv', 'ls', 'extra'], 2, /^USAGE: key: kv ls takes no argument, got "extra"$/],
    [['kv', 'frobnicate'], 2, /^USAGE: kv: "frobnicate" is not one of put, get, rm, ls, pin, unpin$/]
  ]
  for (const [argv, code, message] of cases) {
    const r = await cli(home, argv)
    assert.equal(r.code, code, `${argv.join(' ')}: ${r.stderr}`)
    assert.equal(r.stderr.trim().split('\n').length, 1, `${argv.join(' ')}: one line`)
    assert.match(r.stderr.trim(), message, argv.join(' '))
  }
})
