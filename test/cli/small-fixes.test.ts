import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { formatPeer } from '../../host/cli/actions/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))
const KEY = '9a3f'.repeat(16)

async function home(t: any): Promise<string> {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  return tmp.dir
}

test('firewall says allowed, denied and removed', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  assert.equal((await cli(dir, ['firewall', 'deny', KEY])).stdout, `denied ${KEY}\n`)
  assert.equal((await cli(dir, ['firewall', 'allow', KEY])).stdout, `allowed ${KEY}\n`)
  assert.equal((await cli(dir, ['firewall', 'remove', KEY])).stdout, `removed ${KEY}\n`)
})

test('lookup prints a bridge as "bridge <name>", without an empty version or a null port', { timeout: 10_000 }, () => {
  const peer: LookupPeer = {
    hostKey: KEY,
    verified: true,
    how: "listed in the host's signed descriptor (seq 1)",
    vouchedBy: 'host',
    level: 'host-vouched',
    updated: null,
    ageSeconds: null,
    stale: false,
    codeHash: '',
    serviceHash: 'ab'.repeat(32),
    app: 'bridge',
    version: '',
    publisher: KEY,
    service: 'web',
    port: null,
    serviceKey: 'cd'.repeat(32),
    kind: 'bridge'
  }
  assert.equal(formatPeer(peer), `${KEY}  bridge  web  key ${'cd'.repeat(32)}  host-vouched (the host's own bridge)`)
})

test('lookup says who vouches for a peer and how old its descriptor is; a claimed publisher is never shown as proof', { timeout: 10_000 }, () => {
  const base: LookupPeer = {
    hostKey: KEY,
    verified: true,
    how: 'x',
    vouchedBy: 'host',
    level: 'host-vouched',
    updated: '2026-01-01T00:00:00.000Z',
    ageSeconds: 130,
    stale: false,
    codeHash: 'ee'.repeat(32),
    serviceHash: 'ab'.repeat(32),
    app: 'echo',
    version: '1.0.0',
    publisher: 'bb'.repeat(32),
    service: 'echo',
    port: 7,
    serviceKey: 'cd'.repeat(32)
  }
  const line = `${KEY}  echo@1.0.0  echo:7  key ${'cd'.repeat(32)}  `
  assert.equal(formatPeer(base), `${line}host-vouched only (claims publisher ${'bb'.repeat(8)}…, not endorsed)  updated 2m ago`)
  const endorsed: LookupPeer = {
    ...base,
    level: 'publisher-endorsed',
    endorsement: { publisher: 'bb'.repeat(32), issued: '2026-01-01T00:00:00.000Z', expires: null }
  }
  assert.equal(formatPeer(endorsed), `${line}endorsed by publisher ${'bb'.repeat(8)}…  updated 2m ago`)
  assert.equal(
    formatPeer({ ...base, ageSeconds: 7200, stale: true }),
    `${line}host-vouched only (claims publisher ${'bb'.repeat(8)}…, not endorsed)  updated 2h ago (stale: the host may be gone)`
  )
})

test('hosts trust, list and untrust keep a per-home list; untrusting an unknown host is NOT_FOUND', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  assert.equal((await cli(dir, ['hosts', 'list'])).stdout, 'no trusted hosts\n')
  assert.equal((await cli(dir, ['hosts', 'trust', KEY, '--label', 'ours'])).stdout, `trusting host ${KEY}\n`)
  assert.equal((await cli(dir, ['hosts', 'trust', KEY])).stdout, `host ${KEY} was already trusted\n`)
  assert.equal((await cli(dir, ['hosts', 'list'])).stdout, `${KEY}  ours\n`)
  assert.deepEqual(JSON.parse((await cli(dir, ['--json', 'hosts', 'list'])).stdout), [{ key: KEY, label: 'ours' }])
  assert.equal((await cli(dir, ['hosts', 'untrust', KEY])).stdout, `no longer trusting host ${KEY}\n`)
  const again = await cli(dir, ['hosts', 'untrust', KEY])
  assert.equal(again.code, 1)
  assert.equal(oneLine(again.stderr), `NOT_FOUND: host ${KEY} is not trusted`)
})

test('endorse and lookup name the bad field on one line and exit 2', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const cases: Array<[string[], RegExp]> = [
    [['endorse', KEY], /^USAGE: endorse: expected --app <name> or --code <hash>/],
    [['endorse', 'nope', '--app', 'echo'], /^BAD_KEY: host: expected a 32-byte key/],
    [['endorse', KEY, '--code', 'nope'], /^BAD_HASH: code: expected a 32-byte hash/],
    [['endorse', KEY, '--app', 'Bad Name'], /^USAGE: --app: expected an app name/],
    [['endorse', KEY, '--app', 'echo', '--days', '0'], /^USAGE: --days: expected a positive number of days, got 0/],
    [['endorse', KEY, '--app', 'echo', '--key-name', 'missing'], /^KEY_NOT_FOUND: /],
    [['lookup', KEY, '--endorsed', '--all'], /^USAGE: --all: cannot be combined with --endorsed/],
    [['lookup', KEY, '--trusted-hosts'], /^USAGE: --trusted-hosts: no host is trusted yet/],
    [['connect', KEY, '--trusted-hosts'], /^USAGE: --trusted-hosts: no host is trusted yet/],
    [['connect', KEY, '--anonymous', '--endorsed'], /^USAGE: --endorsed: not available with --anonymous/],
    [['hosts', 'trust'], /^USAGE: hosts trust: expected a host key/],
    [['hosts', 'trust', 'nope'], /^BAD_KEY: host key: expected a 32-byte key/]
  ]
  for (const [args, want] of cases) {
    const r = await cli(dir, args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(oneLine(r.stderr), want)
  }
})

test('audit and install of a missing wasm name the wasm and exit 2', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  for (const cmd of ['audit', 'install']) {
    const r = await cli(dir, [cmd, `${dir}/nosuch.wasm`])
    assert.equal(r.code, 2, `${cmd}: ${r.stderr}`)
    assert.equal(oneLine(r.stderr), `FILE_NOT_FOUND: ${dir}/nosuch.wasm: wasm module not found`)
  }
  const manifest = await cli(dir, ['audit', `${dir}/nosuch.manifest.json`])
  assert.equal(manifest.code, 2)
  assert.equal(oneLine(manifest.stderr), `FILE_NOT_FOUND: ${dir}/nosuch.manifest.json: manifest not found`)
})

test('a one-shot command ended by SIGINT or SIGTERM dies by that signal (the shell sees 130 or 143)', { timeout: 60_000 }, async (t) => {
  const dir = await home(t)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const child = spawn(process.execPath, [BIN, '--home', dir, 'lookup', 'ab'.repeat(32), '--bootstrap', '127.0.0.1:9', '--timeout', '50'], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    teardown(t)(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    })
    // once the command runs (its DHT node is up), not while node is still loading
    await new Promise((r) => setTimeout(r, 1500))
    child.kill(sig)
    assert.deepEqual(await exited, { code: null, signal: sig })
  }
})
