import { callDaemon } from '../../control/index.ts'
import { formatKvStatus } from './kv-format.ts'
import { ControlServer, checkSocketPath, isLive } from '../../control/index.ts'
import { controlOps, parseIdlePolicy } from '../../daemon/index.ts'
import type { IdlePolicy } from '../../daemon/index.ts'
import { createHost } from '../../daemon/index.ts'
import type { HostStatus } from '../../daemon/index.ts'
import { HypernetError } from '../../errors.ts'
import { parseBootstrap } from '../../net/index.ts'
import { advertisedAddress, isLocalAddress } from '../../net/index.ts'
import { readConfig } from '../../config/index.ts'
import { DEFAULT_METRICS_ADDRESS, parseMetricsAddress } from '../../metrics/index.ts'
import { DEFAULT_WEB_ADDRESS, parseWebAddress } from '../../web/index.ts'
import { resolveBootstrap, resolveLogLevel } from '../env.ts'
import { hostCommand } from './new.ts'
import type { HostConfig } from '../../config/index.ts'
import type { CliContext } from '../context.ts'
import { formatPaths, relayInit } from './relay-options.ts'
import type { RelayArgs } from './relay-options.ts'
import { formatOnion, onionInit } from './onion-options.ts'
import type { OnionArgs } from './onion-options.ts'
import { checkUdpPort } from './udp-port.ts'
import { formatSize } from '../../util/byte-size.ts'

/** Onion relays an embedded local network runs unless --local-relays says otherwise: a hidden service needs two guards and three other relays for its introduction points. */
const LOCAL_ONION_RELAYS = 6
/** The embedded network's bootstrap port unless --local-port says otherwise: the same on every start, so hosts that joined it find it again. */
export const LOCAL_PORT = 49737

/**
 * Run the host until SIGINT, SIGTERM or `hypernet-host stop`. A signal or a failure at any point
 * of the start closes everything opened so far, in reverse.
 * @throws DAEMON_RUNNING, SOCKET_PATH_TOO_LONG, ADDRESS_IN_USE (--port taken), USAGE (bad --bootstrap), and startup failures
 */
export async function start(ctx: CliContext, flags: StartArgs): Promise<void> {
  const config = await readConfig(ctx.paths.config)
  const logLevel = resolveLogLevel(flags.logLevel, flags.verbose, config)
  const args = withConfig(flags, config)
  if (args.local && args.bootstrap) throw HypernetError.USAGE('--local and --bootstrap: choose one (--local runs its own network)')
  if (args.host !== undefined && !args.local)
    throw HypernetError.USAGE('--host: this needs --local (it is where the embedded network is served; a joining host binds all addresses)')
  const localHost = args.host === undefined ? undefined : advertisedAddress(args.host)
  if (args.host !== undefined && (!localHost || !isLocalAddress(localHost)))
    throw HypernetError.USAGE(`--host: expected an IPv4 address of this machine (or 0.0.0.0), got ${JSON.stringify(args.host)}`)
  if (args.localRelays !== undefined && !args.local)
    throw HypernetError.USAGE('--local-relays: this needs --local (relays on a real network are hosts started with --onion-relay)')
  const localRelays = args.localRelays ?? LOCAL_ONION_RELAYS
  if (!Number.isInteger(localRelays) || localRelays < 0 || localRelays > 16)
    throw HypernetError.USAGE(`--local-relays: expected a whole number from 0 to 16, got ${args.localRelays}`)
  if (args.localPort !== undefined && !args.local) throw HypernetError.USAGE("--local-port: this needs --local (it is the embedded network's bootstrap port)")
  for (const [flag, port] of [
    ['--port', args.port],
    ['--local-port', args.localPort]
  ] as const) {
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))
      throw HypernetError.USAGE(`${flag}: expected a UDP port from 1 to 65535, got ${port}`)
  }
  const metrics =
    args.metrics === undefined
      ? undefined
      : parseMetricsAddress(args.metrics || DEFAULT_METRICS_ADDRESS, flags.metrics === undefined ? `${ctx.paths.config} metrics.address` : '--metrics')
  const idle = idlePolicy(flags, config, ctx.paths.config)
  const web =
    args.web === undefined ? undefined : parseWebAddress(args.web || DEFAULT_WEB_ADDRESS, flags.web === undefined ? `${ctx.paths.config} web.address` : '--web')
  checkSocketPath(ctx.paths.socket)
  if (await isLive(ctx.paths.socket)) throw HypernetError.DAEMON_RUNNING(ctx.paths.socket)
  // before createHost, which makes host.key, logs/ and store/ first
  // (the embedded network binds every address for any --host but 127.0.0.1)
  if (args.local && args.localPort !== undefined)
    await checkUdpPort('--local-port', localHost && localHost !== '127.0.0.1' ? '0.0.0.0' : '127.0.0.1', args.localPort)
  if (args.port !== undefined) await checkUdpPort('--port', '0.0.0.0', args.port)
  const host = createHost({
    home: ctx.paths.home,
    bootstrap: parseBootstrap(args.bootstrap),
    local: args.local ? 10 : undefined,
    localOnionRelays: args.local ? localRelays : undefined,
    localPort: args.local ? (args.localPort ?? LOCAL_PORT) : undefined,
    localPortFallback: args.localPort === undefined,
    ...(localHost ? { localHost } : {}),
    port: args.port,
    ...(args.lan ? { lan: config.lan?.address ? { address: config.lan.address } : true } : {}),
    ...(config.serving ? { servingLimits: config.serving } : {}),
    terminal: ctx.quiet || ctx.json ? undefined : ctx.io.stderr,
    logLevel,
    ...(config.log ? { logRotation: { maxBytes: config.log.maxBytes, files: config.log.files } } : {}),
    ...relayInit(args),
    ...onionInit(args),
    ...(args.serve === false ? { serve: false } : {}),
    ...(metrics ? { metrics } : {}),
    ...(idle ? { idle } : {}),
    ...(web ? { web } : {})
  })
  // listening from the first moment: a signal during the start stops it, never goes unheard
  let requestStop = (_why: string) => {}
  const stopped = new Promise<string>((resolve) => (requestStop = resolve))
  const onSigint = () => requestStop('SIGINT')
  const onSigterm = () => requestStop('SIGTERM')
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
  // a crash still leaves its reason and the lines before it in the file (then Node exits as ever)
  const onCrash = (err: Error) => {
    host.log.error('the daemon crashed', { error: err?.stack ?? String(err) })
    host.flushLog()
  }
  process.on('uncaughtExceptionMonitor', onCrash)
  const control = new ControlServer(
    ctx.paths.socket,
    controlOps(host, () => requestStop('stop requested')),
    host.log
  )
  try {
    await control.ready()
    const ready = host.ready().then(() => null)
    ready.catch(() => {}) // when a signal wins the race, close() settles it
    const early = await Promise.race([ready, stopped])
    if (early !== null) {
      host.log.info('stopping before the start finished', { why: early })
      return
    }
    const st = host.status()
    ctx.data(st, () => startBanner(st, host.web?.url))
    const why = await stopped
    host.log.info('stopping', { why })
  } finally {
    await control.close()
    await host.close()
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
    process.off('uncaughtExceptionMonitor', onCrash)
  }
}

type StartArgs = {
  bootstrap?: string[]
  local?: boolean
  localRelays?: number
  localPort?: number
  host?: string
  port?: number
  lan?: boolean
  verbose?: boolean
  logLevel?: string
  serve?: boolean
  /** host:port to serve Prometheus metrics at; '' (the flag alone): DEFAULT_METRICS_ADDRESS. */
  metrics?: string
  /** Seconds unused before an app's worker stops (0: always running). */
  idleStop?: number
  /** Per app: <name>=<seconds>. */
  idleStopApp?: string[]
  /** host:port to serve the web page at; '' (the flag alone): DEFAULT_WEB_ADDRESS. */
  web?: string
} & RelayArgs &
  OnionArgs

/**
 * `start`'s flags over config.json's settings (`bootstrap` already holds HYPERNET_BOOTSTRAP when
 * no flag was given: main.ts): a flag given wins; the file's relay and onion limits apply only
 * when the relay they limit is on; with --local the file's bootstrap list is not used.
 */
export function withConfig(flags: StartArgs, config: HostConfig): StartArgs {
  const a = { ...flags }
  if (!a.local) a.bootstrap = resolveBootstrap(a.bootstrap, config.bootstrap, {})
  a.port ??= config.port
  a.lan ??= config.lan?.enabled
  a.metrics ??= config.metrics?.address
  a.web ??= config.web?.address
  a.relay ??= config.relay?.enabled
  if (a.relay) {
    a.relayPort ??= config.relay?.port
    a.relayMaxConnections ??= config.relay?.maxConnections
    a.relayMaxBandwidth ??= config.relay?.maxBandwidth
  }
  if (!a.useRelay?.length && config.relay?.use?.length) a.useRelay = config.relay.use
  a.onionRelay ??= config.onion?.relay
  if (a.onionRelay) {
    a.onionMaxCircuits ??= config.onion?.maxCircuits
    a.onionMaxBandwidth ??= config.onion?.maxBandwidth
    a.onionMaxMemory ??= config.onion?.maxMemory
  }
  return a
}

/**
 * Who runs on demand: config.json's `idle` under the flags (`--idle-stop` replaces its
 * stopAfter; `--idle-stop-app` entries win over its apps, name by name).
 * @throws USAGE naming the flag or the config field with a bad period
 */
export function idlePolicy(flags: StartArgs, config: HostConfig, file: string): IdlePolicy | undefined {
  const fromFile = parseIdlePolicy(config.idle?.stopAfter, config.idle?.apps, { all: `${file} idle.stopAfter`, app: `${file} idle.apps` })
  const fromFlags = parseIdlePolicy(flags.idleStop, flags.idleStopApp)
  if (!fromFile && !fromFlags) return undefined
  const defaultMs = fromFlags?.defaultMs ?? fromFile?.defaultMs
  const apps = { ...fromFile?.apps, ...fromFlags?.apps }
  return { ...(defaultMs !== undefined ? { defaultMs } : {}), ...(Object.keys(apps).length ? { apps } : {}) }
}

function startBanner(st: HostStatus, webUrl?: string): string[] {
  const lines = [`host ${st.host.key} running (home ${st.host.home})`]
  if (st.network.local) {
    lines.push(
      `embedded local network: other hosts join with --bootstrap ${st.network.bootstrap[0]}${st.network.bootstrap[0]?.startsWith('127.') ? ' (this machine only; --host serves it beyond loopback)' : ` (or: hypernet-host config set bootstrap ${st.network.bootstrap[0]})`}`
    )
    if (st.network.localOnionRelays) lines.push(`  with ${st.network.localOnionRelays} onion relays: connect --anonymous and hidden services work here`)
  } else if (st.network.lan?.isolated) lines.push('network: this link only (LAN discovery: no bootstrap node answered)')
  else lines.push(`network: ${st.network.bootstrap.length ? st.network.bootstrap.join(', ') : 'the public HyperDHT network'}`)
  if (st.network.lan)
    lines.push(`LAN discovery on: LAN DHT node ${st.network.lan.address}:${st.network.lan.port}, ${st.network.lan.peers.length} hosts found so far`)
  if (st.onionRelay) lines.push(`onion relay ${st.onionRelay.key}: carrying anonymous circuits for others (at most ${st.onionRelay.maxCircuits})`)
  for (const a of st.apps)
    lines.push(
      `app ${a.name} ${a.version}: ${a.state}${a.state === 'idle' ? ' (on demand: its worker starts on the first connection)' : ''}${a.error ? ` (${a.error})` : ''}`
    )
  for (const s of st.services) lines.push(`  service ${s.app}/${s.service} port ${s.port}\n    hash ${s.hash}\n    key  ${s.key}`)
  for (const h of st.hidden ?? []) lines.push(`  hidden service ${h.app}/${h.service}\n    key  ${h.key}  (connect --hidden ${h.key})`)
  const home = JSON.stringify(st.host.home)
  const hn = hostCommand()
  lines.push('', 'In a second terminal:', `  export HYPERNET_HOME=${home}`, `  ${hn} status`)
  // "echo hello |" only where an echo answers it: chat, say, prints nothing back
  const echo = st.services.find((s) => s.service === 'echo')
  const hiddenEcho = (st.hidden ?? []).find((h) => h.service === 'echo')
  const first = echo ?? st.services[0]
  if (first) lines.push(`  ${hn} lookup ${first.hash}`)
  if (echo) {
    lines.push(`  echo hello | ${hn} connect ${echo.hash}`)
    if (st.network.localOnionRelays) lines.push(`  echo hello | ${hn} connect --anonymous ${echo.hash}`)
  } else if (hiddenEcho) lines.push(`  echo hello | ${hn} connect --hidden ${hiddenEcho.key}`)
  else if (first) lines.push(`  ${hn} connect ${first.hash}`)
  if (webUrl) lines.push(`Web page (the token after # is the password; it is also in ${st.host.home}/web-token):`, `  ${webUrl}`)
  lines.push(`Stop with Ctrl-C or: ${hn} stop`)
  return lines
}

/** Print the daemon's status: keys and hashes in short form unless `--full` (`--json` is always full). @throws DAEMON_UNREACHABLE */
export async function status(ctx: CliContext, args: { full?: boolean } = {}): Promise<void> {
  const st = await callDaemon<HostStatus>(ctx.paths.socket, 'status')
  ctx.data(st, () => formatStatus(st, { full: args.full }))
}

/** A 64-hex key or hash as `0123abcd…cdef`: enough to tell them apart at a glance. */
export function shortId(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex
}

/** What a plugin runs under (`status --full`), in the manifest's terms: docs/plugins.md "Plugin limits". */
export function formatLimits(l: NonNullable<HostStatus['apps'][number]['limits']>): string {
  return [
    `memory ${l.memoryMiB} MiB`,
    `call timeout ${l.callTimeoutMs} ms`,
    `storage ${l.storageQuotaBytes === null ? 'none' : formatSize(l.storageQuotaBytes)}`,
    `connections ${l.connections}`,
    `dials ${l.dialsInFlight} in flight, ${l.dialsPerSecond}/s`,
    `in ${formatSize(l.bytesInPerSecond)}/s`,
    `out ${formatSize(l.bytesOutPerSecond)}/s`,
    `idle timeout ${l.idleTimeoutMs / 1000} s`
  ].join(', ')
}

/** Status for people, at a glance (lines fit a terminal unless `full`). */
export function formatStatus(st: HostStatus, opts: { full?: boolean } = {}): string[] {
  const id = opts.full ? (s: string) => s : shortId
  const n = st.network
  const lines = [
    `host      ${id(st.host.key)}  (pid ${st.host.pid}, up since ${st.host.startedAt})`,
    `network   ${n.local ? `embedded local network, bootstrap ${n.bootstrap[0]}` : n.lan?.isolated ? 'this link only (LAN)' : n.bootstrap.length ? n.bootstrap.join(', ') : 'public HyperDHT'}; ${bootstrapState(n)}; ${n.firewalled ? 'firewalled' : 'reachable'}; NAT ${n.nat}`,
    `addresses public ${n.publicAddress ?? 'unknown'}, local ${n.localAddress ?? 'none'}`,
    ...(n.lan
      ? [
          `lan       discovery on, LAN node ${n.lan.address}:${n.lan.port}${n.lan.isolated ? (n.lan.reachable ? ', isolated link, reachable on it' : ', isolated link') : ''}; ${n.lan.peers.length} hosts found${n.lan.peers.length ? `: ${n.lan.peers.map((p) => `${p.host}:${p.port}`).join(', ')}` : ''}`
        ]
      : []),
    'apps'
  ]
  if (st.apps.length === 0) lines.push('  none installed')
  for (const a of st.apps) {
    const extra =
      a.state === 'invalid'
        ? `  ${a.error}`
        : `  restarts ${a.restarts ?? 0}, connections ${a.connections ?? 0}, in ${a.bytesIn ?? 0} B, out ${a.bytesOut ?? 0} B${onDemand(a)}${a.lastError ? `, last error ${a.lastError.message}` : ''}`
    lines.push(`  ${a.name.padEnd(10)} ${a.version.padEnd(8)} ${a.state.padEnd(9)}${extra}`)
    if (opts.full && a.limits) lines.push(`  ${''.padEnd(10)} limits: ${formatLimits(a.limits)}`)
  }
  lines.push('services')
  if (st.services.length === 0) lines.push('  none')
  for (const s of st.services)
    lines.push(
      `  ${`${s.app}/${s.service}`.padEnd(18)} port ${String(s.port).padEnd(5)} hash ${id(s.hash)}  key ${id(s.key)}  conns ${s.connections}  refreshed ${s.lastRefresh ?? 'never'}`
    )
  if ((st.descriptorRecords ?? 1) > 1) lines.push(`  descriptor: ${st.descriptorRecords} DHT records (the host's and ${st.descriptorRecords! - 1} pages)`)
  if (st.descriptorUnlisted?.length) {
    const n = st.descriptorUnlisted.length
    lines.push(
      `  ${n} app${n === 1 ? '' : 's'} not in the host descriptor (its last page is full): running, reachable by service key, not found by lookup: ${st.descriptorUnlisted.slice(0, 5).join(', ')}${n > 5 ? ', ...' : ''}`
    )
  }
  const refused = Object.entries(st.refused).filter(([, v]) => v > 0)
  if (refused.length) lines.push(`refused   ${refused.map(([k, v]) => `${k} ${v}`).join(', ')}`)
  lines.push(...formatServing(st.serving))
  lines.push(...formatKvStatus(st.kv))
  lines.push(...formatPaths(st))
  lines.push(...formatOnion(st, id))
  if (st.web) lines.push(`web       ${st.web.url}  (open it with the token in ${st.host.home}/web-token: ${st.web.url}#token=...)`)
  return lines
}

/** An on-demand app's part of its status line: the idle period, starts by connections, connections waiting. */
function onDemand(a: HostStatus['apps'][number]): string {
  if (a.idleStopMs === undefined) return ''
  return `, on demand (stops after ${a.idleStopMs / 1000} s idle; ${a.wakes ?? 0} starts${a.waiting ? `, ${a.waiting} connections waiting` : ''})`
}

function formatServing(s: HostStatus['serving']): string[] {
  if (!s) return []
  const l = s.limits
  const state = !s.enabled ? 'OFF' : s.off.length ? `on, except ${s.off.join(', ')}` : 'on'
  const refused = Object.entries(s.refused)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  return [
    `serving   ${state}; ${s.fetchesInFlight} fetches now, ${s.bytesServed} B served${refused ? `; refused ${refused}` : ''}`,
    `          limits ${l.maxFetchesPerPeer} per peer, ${l.maxFetches} in all, ${Math.round(l.bytesPerSecond / 1048576)} MiB/s, modules up to ${Math.round(l.maxModuleBytes / 1048576)} MiB`
  ]
}

function bootstrapState(n: HostStatus['network']): string {
  if (!n.bootstrapped) return 'joining: waiting for a bootstrap node to answer'
  if (n.answered === false) return 'no bootstrap node answered (offline? peers cannot reach this host)'
  return 'bootstrapped'
}

/**
 * Stop the daemon and wait until its process has exited (its socket gone when it is this very
 * process), so a `start` right after never races it; `--no-wait` returns once it is asked.
 * @throws DAEMON_UNREACHABLE; TIMEOUT when it still runs after `--timeout` seconds
 */
export async function stop(ctx: CliContext, args: { wait?: boolean; timeout?: number } = {}): Promise<void> {
  const timeout = args.timeout ?? STOP_TIMEOUT_S
  if (!(timeout > 0)) throw HypernetError.USAGE(`--timeout: expected a positive number of seconds, got ${args.timeout}`)
  const answer = await callDaemon<{ stopping: boolean; pid?: number }>(ctx.paths.socket, 'stop')
  const pid = answer?.pid
  if (args.wait === false) {
    ctx.data({ stopping: true, pid }, () => ['daemon stopping'])
    return
  }
  const gone = pid && pid !== process.pid ? async () => !processAlive(pid) : async () => !(await isLive(ctx.paths.socket))
  const deadline = Date.now() + timeout * 1000
  while (!(await gone())) {
    if (Date.now() > deadline)
      throw HypernetError.TIMEOUT(
        `stop: expected the daemon${pid ? ` (pid ${pid})` : ''} to exit within ${timeout} s, it still runs (it may be closing connections; see status, or end it with: kill ${pid ?? '<pid>'})`
      )
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS))
  }
  ctx.data({ stopped: true, pid }, () => ['daemon stopped'])
}

/** How long `stop` waits for the daemon's process to exit, and how often it looks. */
const STOP_TIMEOUT_S = 60
const STOP_POLL_MS = 50

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Restart an app in the daemon. @throws DAEMON_UNREACHABLE, APP_NOT_FOUND */
export async function restart(ctx: CliContext, args: { app: string }): Promise<void> {
  const app = await callDaemon<{ name: string; state: string }>(ctx.paths.socket, 'restart', { app: args.app })
  ctx.data(app, () => [`${args.app}: ${app?.state ?? 'restarted'}`])
}
