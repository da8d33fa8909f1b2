import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Internet, inNs, sweep, unavailable } from '../nat/netns.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { exampleFiles } from '../../host/demo/install-examples.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'

/**
 * Many machines, on real network stacks (network namespaces, netns.ts): the README's "Run a
 * fleet" walk-through with a bootstrap node in one namespace and hosts in two others on one
 * bridge, every host configured by config.json alone; and two hosts on an isolated link, with
 * no bootstrap node and no route anywhere, that find each other by multicast DNS. Every
 * process is the real CLI (bin/hypernet-host.js) inside its namespace; one-shot commands that
 * need no network run in-process. Needs root and `ip netns` (CI has both); skips with one line
 * otherwise.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(REPO, 'bin', 'hypernet-host.js')
const run = promisify(execFile)
const STEM = 'hnfleet'

const why = await unavailable()
if (!why) await sweep(STEM)

interface Daemon {
  lines: string[]
  stop(): Promise<number | null>
}

/** Run the CLI inside `ns` until it prints a line matching `ready`; stopped (SIGTERM) by `defer`. */
async function daemon(ns: string, home: string, args: string[], ready: RegExp, defer: (fn: () => unknown) => void): Promise<Daemon> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, '--home', home, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const code = await exited
    clearTimeout(timer)
    return code
  }
  defer(stop)
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} in ${ns}: no ${ready} in 60 s; stdout ${lines.join('\n')}; stderr ${stderr}`)), 60_000)
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      lines.push(...d.split('\n').filter(Boolean))
      if (lines.some((l) => ready.test(l))) {
        clearTimeout(timer)
        resolve()
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${args[0]} in ${ns} exited ${code}: ${stderr}`))
    })
  })
  return { lines, stop }
}

/** A one-shot CLI command inside `ns` (bounded): { code, stdout, stderr }. */
async function inside(ns: string, home: string, args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('ip', ['netns', 'exec', ns, process.execPath, BIN, '--home', home, ...args], { cwd: REPO, timeout })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) }
  }
}

/** Run the CLI inside `ns` with `input` on stdin until it exits (killed after 60 s). */
function talk(ns: string, home: string, args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, '--home', home, ...args], { cwd: REPO })
    let out = ''
    let err = ''
    c.stdout.on('data', (d) => (out += d))
    c.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000)
    c.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
    c.stdin.end(input)
  })
}

/** Poll `status --json` until `check` holds (bounded by attempts, not by the clock). */
async function statusUntil(home: string, check: (st: any) => boolean, what: string): Promise<any> {
  let last: any = null
  for (let i = 0; i < 120; i++) {
    const r = await cli(home, ['status', '--json'])
    if (r.code === 0) {
      last = JSON.parse(r.stdout)
      if (check(last)) return last
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`status never showed ${what}: ${JSON.stringify(last?.network ?? last)}`)
}

/** A signed echo app from a publisher home: { wasm, manifest, publisher }. */
async function echoApp(dir: string): Promise<{ wasm: string; publisher: string }> {
  const pub = join(dir, 'publisher')
  const wasm = join(dir, 'echo.wasm')
  const files = exampleFiles('echo')
  await copyFile(files.wasm, wasm)
  const key = JSON.parse((await cli(pub, ['keys', 'generate', '--json'])).stdout).publicKey
  const signed = await cli(pub, ['sign', wasm, '--manifest', files.draft, '--out', join(dir, 'echo.manifest.json')])
  assert.equal(signed.code, 0, signed.stderr)
  return { wasm, publisher: key }
}

test('run a fleet: a bootstrap node and two hosts on one bridge, configured by config.json alone', { skip: why ?? false, timeout: 240_000 }, async (t) => {
  const defer = teardown(t)
  const net = new Internet(`${STEM}${process.pid}-f`)
  defer(() => net.destroy())
  await net.create()
  const boot = await net.addPublic('boot')
  const a = await net.addPublic('a')
  const b = await net.addPublic('b')
  const tmp = await tempDir('hn-fleet-')
  defer(tmp.cleanup)
  const homes = { a: join(tmp.dir, 'a'), b: join(tmp.dir, 'b'), boot: join(tmp.dir, 'boot') }

  // 1. the bootstrap node, in its own machine
  const bootNode = await daemon(boot.ns, homes.boot, ['bootstrap', '--host', boot.ip], /^Stop with/, defer)
  assert.ok(
    bootNode.lines.some((l) => l.includes(`config set bootstrap ${boot.ip}:49737`)),
    bootNode.lines.join('\n')
  )

  // 2. every host: name the network once, trust one publisher, start
  const app = await echoApp(tmp.dir)
  for (const home of [homes.a, homes.b]) {
    assert.equal((await cli(home, ['config', 'set', 'bootstrap', `${boot.ip}:49737`])).code, 0)
    assert.equal((await cli(home, ['trust', 'add', app.publisher])).code, 0)
  }
  await daemon(a.ns, homes.a, ['start'], /^Stop with/, defer)
  await daemon(b.ns, homes.b, ['start'], /^Stop with/, defer)
  const stA = await statusUntil(homes.a, (st) => st.network.answered && st.network.bootstrapped, 'a bootstrapped host')
  assert.deepEqual(stA.network.bootstrap, [`${boot.ip}:49737`], 'the bootstrap list came from config.json')

  // 3. install from a file on the first host, by code hash on the other
  const inst = await cli(homes.a, ['install', app.wasm, '--yes', '--json'])
  assert.equal(inst.code, 0, inst.stderr)
  const codeHash: string = JSON.parse(inst.stdout).app.codeHash
  assert.match(codeHash, /^[0-9a-f]{64}$/)
  const runningA = await statusUntil(
    homes.a,
    (st) => st.services.length > 0 && st.apps.some((x: any) => x.name === 'echo' && x.state !== 'invalid'),
    'echo on host a'
  )
  const serviceHash: string = runningA.services[0].hash
  const byHash = await inside(b.ns, homes.b, ['install', codeHash, '--yes', '--timeout', '20'])
  assert.equal(byHash.code, 0, byHash.stderr + byHash.stdout)
  const runningB = await statusUntil(homes.b, (st) => st.services.some((s: any) => s.hash === serviceHash), 'echo on host b')
  assert.equal(runningB.apps.find((x: any) => x.name === 'echo').codeHash, codeHash)

  // 4. lookups and connects across machines, no --bootstrap anywhere
  const look = await inside(b.ns, homes.b, ['lookup', serviceHash, '--json', '--limit', '2', '--timeout', '20'])
  assert.equal(look.code, 0, look.stderr)
  const peers = look.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l).hostKey)
  assert.ok(peers.includes(stA.host.key), `host a found from b: ${look.stdout}`)
  const client = join(tmp.dir, 'client')
  assert.equal((await cli(client, ['config', 'set', 'bootstrap', `${boot.ip}:49737`])).code, 0)
  // a fresh client home: its only network setting is the config file
  const conn = await talk(b.ns, client, ['connect', serviceHash, '--timeout', '20'], 'hello fleet\n')
  assert.equal(conn.code, 0, conn.err)
  assert.match(conn.out, /hello fleet/)

  // 5. a clean stop: SIGTERM, exit 0
  assert.equal(await bootNode.stop(), 0)
})

test(
  'two hosts on an isolated link with no bootstrap node find each other by multicast DNS and connect',
  { skip: why ?? false, timeout: 240_000 },
  async (t) => {
    const defer = teardown(t)
    const net = new Internet(`${STEM}${process.pid}-l`)
    defer(() => net.destroy())
    await net.create()
    const a = await net.addPublic('a')
    const b = await net.addPublic('b')
    // a link with no default route: only multicast (224/4) and the link itself
    for (const n of [a, b]) await inNs(n.ns, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 'eth0'])
    const tmp = await tempDir('hn-lan-')
    defer(tmp.cleanup)
    const homes = { a: join(tmp.dir, 'a'), b: join(tmp.dir, 'b') }
    const app = await echoApp(tmp.dir)
    for (const home of [homes.a, homes.b]) {
      assert.equal((await cli(home, ['config', 'set', 'lan.enabled', 'true'])).code, 0)
      assert.equal((await cli(home, ['trust', 'add', app.publisher])).code, 0)
    }
    await daemon(a.ns, homes.a, ['start'], /^Stop with/, defer)
    await daemon(b.ns, homes.b, ['start'], /^Stop with/, defer)
    const stA = await statusUntil(homes.a, (st) => st.network.lan?.peers.length > 0, 'a LAN peer on a')
    const stB = await statusUntil(homes.b, (st) => st.network.lan?.peers.length > 0, 'a LAN peer on b')
    assert.deepEqual(
      stA.network.lan.peers.map((p: any) => p.key),
      [stB.host.key]
    )
    assert.deepEqual(
      stB.network.lan.peers.map((p: any) => p.key),
      [stA.host.key]
    )
    assert.equal(stA.network.lan.address, a.ip)
    assert.deepEqual(stA.network.bootstrap, [], 'no bootstrap was configured')

    const inst = await cli(homes.a, ['install', app.wasm, '--yes', '--json'])
    assert.equal(inst.code, 0, inst.stderr)
    const running = await statusUntil(homes.a, (st) => st.services.length > 0, 'echo on host a')
    const serviceHash: string = running.services[0].hash
    // the lookup goes through b's daemon, whose DHT node knows the LAN nodes
    const look = await inside(b.ns, homes.b, ['lookup', serviceHash, '--json', '--limit', '1', '--timeout', '20'])
    assert.equal(look.code, 0, look.stderr + look.stdout)
    assert.ok(look.stdout.includes(stA.host.key), look.stdout)
    // and a connect from b reaches the echo on a: a's DHT node was found reachable on the link, so
    // b's dial goes straight to it (no hole punch, whose NAT analysis two LAN nodes cannot feed)
    const reachable = await statusUntil(homes.a, (st) => st.network.lan.reachable === true, 'a reachable on the link')
    assert.equal(reachable.network.firewalled, false)
    const conn = await talk(b.ns, homes.b, ['connect', serviceHash, '--timeout', '20'], 'hello link\n')
    assert.equal(conn.code, 0, conn.err)
    assert.match(conn.out, /hello link/)
    assert.match(conn.err, new RegExp(`on host ${stA.host.key.slice(0, 16)}`))

    // host a moves to a new address: its LAN node and mDNS follow, b learns the new LAN node, and
    // a new connect from b reaches a again (the multicast route went with the old address)
    const moved = await move(a.ns, a.ip)
    await inNs(a.ns, 'ip', ['route', 'replace', '224.0.0.0/4', 'dev', 'eth0'])
    await statusUntil(homes.a, (st) => st.network.lan.address === moved, 'a LAN node on the new address')
    const seen = await statusUntil(homes.b, (st) => st.network.lan.peers.some((p: any) => p.host === moved), 'the new LAN node of a, from b')
    assert.deepEqual(
      seen.network.lan.peers.map((p: any) => [p.host, p.key]),
      [[moved, stA.host.key]],
      'the old LAN node of a was dropped'
    )
    const after = await talk(b.ns, homes.b, ['connect', serviceHash, '--timeout', '20'], 'hello again\n')
    assert.equal(after.code, 0, after.err)
    assert.match(after.out, /hello again/)
  }
)

/** Move namespace `ns` from `ip` to a new address on the same /24 (its only address goes). */
async function move(ns: string, ip: string): Promise<string> {
  const parts = ip.split('.')
  const moved = `${parts.slice(0, 3).join('.')}.${Number(parts[3]) + 100}`
  await inNs(ns, 'ip', ['addr', 'del', `${ip}/24`, 'dev', 'eth0'])
  await inNs(ns, 'ip', ['addr', 'add', `${moved}/24`, 'dev', 'eth0'])
  return moved
}

/**
 * A `connect` session inside `ns` that sends a line every 200 ms; `doMove` moves a host once
 * lines come back, then waits until the session ends or 50 more lines came back (bounded).
 */
async function sessionAcrossMove(ns: string, home: string, serviceHash: string, doMove: () => Promise<unknown>, defer: (fn: () => unknown) => void) {
  const session = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, '--home', home, 'connect', serviceHash, '--timeout', '20'], { cwd: REPO })
  defer(() => session.exitCode === null && session.signalCode === null && session.kill('SIGKILL'))
  let echoed = 0
  let sent = 0
  let err = ''
  let code: number | null = null
  session.once('exit', (c) => (code = c ?? -1))
  session.stdout.setEncoding('utf8').on('data', (d: string) => (echoed += d.split('\n').length - 1))
  session.stderr.on('data', (d) => (err += d))
  const ticker = setInterval(() => session.stdin.writable && session.stdin.write(`tick ${sent++}\n`), 200)
  defer(() => clearInterval(ticker))
  const until = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 300 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 200))
    assert.ok(check(), `${what}: ${echoed} of ${sent} lines echoed; ${err}`)
  }
  await until(() => echoed >= 5, 'the session echoes')
  const before = echoed
  await doMove()
  await until(() => code !== null || echoed >= before + 50, 'the session ended or kept echoing')
  clearInterval(ticker)
  return { code, err, echoedAfter: echoed - before }
}

test(
  'a host whose address changes: its open stream stalls and ends, and a new dial reaches it at its new address',
  { skip: why ?? false, timeout: 240_000 },
  async (t) => {
    const defer = teardown(t)
    const net = new Internet(`${STEM}${process.pid}-m`)
    defer(() => net.destroy())
    await net.create()
    const boot = await net.addPublic('boot')
    const a = await net.addPublic('a')
    const b = await net.addPublic('b')
    const tmp = await tempDir('hn-move-')
    defer(tmp.cleanup)
    const homes = { a: join(tmp.dir, 'a'), client: join(tmp.dir, 'client'), boot: join(tmp.dir, 'boot') }
    await daemon(boot.ns, homes.boot, ['bootstrap', '--host', boot.ip], /^Stop with/, defer)
    const app = await echoApp(tmp.dir)
    for (const home of [homes.a, homes.client]) assert.equal((await cli(home, ['config', 'set', 'bootstrap', `${boot.ip}:49737`])).code, 0)
    assert.equal((await cli(homes.a, ['trust', 'add', app.publisher])).code, 0)
    await daemon(a.ns, homes.a, ['start'], /^Stop with/, defer)
    await statusUntil(homes.a, (st) => st.network.answered && st.network.bootstrapped, 'a bootstrapped host')
    assert.equal((await cli(homes.a, ['install', app.wasm, '--yes'])).code, 0)
    const running = await statusUntil(homes.a, (st) => st.services.length > 0, 'echo on host a')
    const serviceHash: string = running.services[0].hash

    // 1. the serving host moves: the stream is not kept. The client still sends to the old address
    // (UDX streams do not follow a peer to a new one), so it stalls until hyperdht times it out
    const server = await sessionAcrossMove(b.ns, homes.client, serviceHash, () => move(a.ns, a.ip), defer)
    assert.equal(server.code, 1, `the session ended with an error: ${server.err}`)
    assert.match(server.err, /CONNECTION_FAILED: the connection failed: connection timed out/)
    assert.ok(server.echoedAfter < 50, 'no stream survived the move')
    // ...and is re-established by a new dial: the host re-announced from its new address
    const again = await talk(b.ns, homes.client, ['connect', serviceHash, '--timeout', '30'], 'after the server moved\n')
    assert.equal(again.code, 0, again.err)
    assert.match(again.out, /after the server moved/)

    // 2. the dialing host moves: the same (the server sends to the client's old address)
    const client = await sessionAcrossMove(b.ns, homes.client, serviceHash, () => move(b.ns, b.ip), defer)
    assert.equal(client.code, 1, `the session ended with an error: ${client.err}`)
    assert.match(client.err, /connection timed out/)
    const fromNew = await talk(b.ns, homes.client, ['connect', serviceHash, '--timeout', '30'], 'after the client moved\n')
    assert.equal(fromNew.code, 0, fromNew.err)
    assert.match(fromNew.out, /after the client moved/)
  }
)
