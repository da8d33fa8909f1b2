import { createServer } from 'node:net'
import { stat } from 'node:fs/promises'
import { callDaemon, daemonRunning } from '../../control/index.ts'
import type { BridgeConnectionStatus } from '../../bridge/index.ts'
import type { BridgeStatus } from '../../bridge/index.ts'
import { bridgeServiceHash } from '../../bridge/index.ts'
import { BridgeStore, anonymousRefused, bridgeId, hiddenRefused, validateBridge } from '../../bridge/index.ts'
import type { BridgeConfig } from '../../bridge/index.ts'
import { formatHostPort } from '../../bridge/index.ts'
import { formatId } from '../../encoding/ids.ts'
import { HypernetError } from '../../errors.ts'
import { readKeyFile } from '../../keys/index.ts'
import type { CliContext } from '../context.ts'

/**
 * Add, remove and show bridges. With a daemon running, each change goes through its control
 * socket and applies at once (the daemon opens the port or starts listening before it saves);
 * without one, the change is checked and saved to `<home>/bridges.json` for the next start.
 * `--anonymous` is for `listen` only, `--hidden` for `listen` (to a hidden key) and `expose` (as
 * a hidden service), each refused before anything else elsewhere.
 * @throws USAGE, BAD_HASH, NAME_TAKEN, ADDRESS_IN_USE, BRIDGE_NOT_FOUND
 */
export async function bridge(
  ctx: CliContext,
  args: { action: 'listen' | 'expose' | 'remove' | 'list'; target?: string; port?: string; host?: string; name?: string; anonymous?: boolean; hidden?: boolean }
): Promise<void> {
  if (args.anonymous && args.action !== 'listen') throw anonymousRefused(args.action)
  if (args.hidden && (args.action === 'remove' || args.action === 'list')) throw hiddenRefused(args.action)
  const daemon = await daemonRunning(ctx.paths.socket)
  const store = new BridgeStore(ctx.paths.bridges)
  if (args.action === 'list') {
    const list = daemon ? await callDaemon<BridgeStatus[]>(ctx.paths.socket, 'bridge.list') : (await store.read()).map(offline)
    ctx.data(list, () => (list.length ? list.flatMap(formatBridge) : ['no bridges (add one with: bridge listen | bridge expose)']))
    return
  }
  if (args.action === 'remove') {
    if (!args.target) throw HypernetError.USAGE('bridge remove: expected a bridge name, host:port or port (see bridge list)')
    const removed = daemon
      ? await callDaemon<BridgeConfig & { id: string }>(ctx.paths.socket, 'bridge.remove', { ref: args.target })
      : await store.remove(args.target)
    ctx.data({ removed, daemon: daemon ? 'applied' : 'no-daemon' }, () => [
      `removed bridge ${bridgeId(removed)}${daemon ? ' (the running daemon stopped it)' : ''}`
    ])
    return
  }
  if (!args.target) {
    throw HypernetError.USAGE(
      args.action === 'listen' ? 'bridge listen: expected a service key or service hash' : 'bridge expose: expected the host:port of a TCP server'
    )
  }
  // a missing flag is named as missing (validateBridge would say "got null")
  if (args.action === 'listen' && args.port === undefined)
    throw HypernetError.USAGE('bridge listen: --port is required: the local TCP port to open (e.g. --port 8080)')
  if (args.action === 'expose' && args.name === undefined)
    throw HypernetError.USAGE('bridge expose: --name is required: the service name to publish it under (e.g. --name web)')
  const input =
    args.action === 'listen'
      ? {
          kind: 'listen',
          target: args.target,
          host: args.host ?? '127.0.0.1',
          port: args.port,
          anonymous: args.anonymous ?? false,
          hidden: args.hidden ?? false
        }
      : { kind: 'expose', target: args.target, name: args.name, hidden: args.hidden ?? false }
  const config = validateBridge(input)
  if (daemon) {
    const st = await callDaemon<BridgeStatus>(ctx.paths.socket, 'bridge.add', { ...config })
    ctx.data({ ...st, daemon: 'applied' }, () => formatAdded(st))
    return
  }
  if (config.kind === 'listen') await checkFree(config.host, config.port)
  await store.add(config)
  const st = offline(config)
  if (config.kind === 'expose' && !config.hidden) Object.assign(st, await exposedIds(ctx, config.name))
  ctx.data({ ...st, daemon: 'no-daemon' }, () => [...formatAdded(st), 'no daemon runs: it starts with the next `hypernet-host start`'])
}

/** A configured bridge as status shows it when no daemon runs it. */
function offline(b: BridgeConfig): BridgeStatus {
  const base = {
    id: bridgeId(b),
    target: b.target,
    state: 'failed' as const,
    error: 'no daemon is running',
    connections: 0,
    bytesIn: 0,
    bytesOut: 0,
    failed: 0,
    lastError: null,
    open: []
  }
  return b.kind === 'listen'
    ? { ...base, kind: 'listen', local: formatHostPort(b), anonymous: b.anonymous, hidden: b.hidden, name: null, hash: null, key: null }
    : { ...base, kind: 'expose', local: null, anonymous: false, hidden: b.hidden, name: b.name, hash: null, key: null }
}

/** The exposed service's hash, when the host identity exists already. */
async function exposedIds(ctx: CliContext, name: string): Promise<{ hash: string } | {}> {
  try {
    await stat(ctx.paths.identity)
    const id = await readKeyFile(ctx.paths.identity)
    return { hash: formatId(bridgeServiceHash(id.publicKey, name)) }
  } catch {
    return {}
  }
}

/** @throws ADDRESS_IN_USE when something already listens there */
function checkFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(HypernetError.ADDRESS_IN_USE('--port', formatHostPort({ host, port })))
      else if (err.code === 'EADDRNOTAVAIL') reject(HypernetError.USAGE(`--host: expected an address of this machine, got ${host}`))
      else resolve()
    })
    s.listen(port, host, () => s.close(() => resolve()))
  })
}

function formatAdded(b: BridgeStatus): string[] {
  if (b.kind === 'listen') {
    const how = b.hidden ? ' (a hidden service, met at a rendezvous relay)' : b.anonymous ? ' anonymously (a fresh 3-hop onion circuit per connection)' : ''
    return [
      `bridge ${b.local} -> ${b.hidden ? 'hidden service' : 'service'} ${b.target}${how}`,
      `  TCP programs connect to ${b.local}, e.g. curl http://${b.local}/`
    ]
  }
  if (b.hidden) {
    const lines = [`exposed ${b.target} as hidden service "${b.name}" (its host and address are published nowhere)`]
    if (b.key) lines.push(`  hidden key ${b.key}   (bridge listen --hidden / connect --hidden)`)
    return lines
  }
  const lines = [`exposed ${b.target} as service "${b.name}" of this host`]
  if (b.hash) lines.push(`  hash ${b.hash}   (lookup / connect / bridge listen by hash)`)
  if (b.key) lines.push(`  key  ${b.key}   (any HyperDHT client: dht.connect(key))`)
  return lines
}

/** One bridge for people: what it joins, its state, connections and bytes, and each open connection's path. */
export function formatBridge(b: BridgeStatus): string[] {
  const what =
    b.kind === 'listen'
      ? `listen ${b.local} -> ${b.target}${b.hidden ? ' (hidden service)' : b.anonymous ? ' (anonymous: onion circuits)' : ''}`
      : `expose ${b.name} -> ${b.target}${b.hidden ? ' (hidden service)' : ''}`
  const lines = [
    `  ${what}`,
    `    ${b.state}${b.error ? ` (${b.error})` : ''}; open ${b.open.length}, total ${b.connections}, failed ${b.failed}; in ${b.bytesIn} B, out ${b.bytesOut} B${b.lastError ? `; last error ${b.lastError}` : ''}`
  ]
  if (b.hidden && b.kind === 'expose') {
    if (b.key) lines.push(`    hidden key ${b.key}`)
  } else if (b.hash) lines.push(`    hash ${b.hash}${b.key ? `  key ${b.key}` : ''}`)
  for (const c of b.open) lines.push(`    peer ${c.peer.slice(0, 16)}…  ${c.path}${via(c)}  ${c.remote ?? ''}  in ${c.bytesIn} B, out ${c.bytesOut} B`)
  return lines
}

function via(c: BridgeConnectionStatus): string {
  if (c.circuit) return ` via relays ${c.circuit.map((k) => k.slice(0, 8)).join(' -> ')}`
  return c.relay ? ` via relay ${c.relay.slice(0, 16)}…` : ''
}
