import type { Duplex } from 'node:stream'
import type DHT from 'hyperdht'
import { ONION } from '../constants.ts'
import { HypernetError, isHypernetError } from '../errors.ts'
import { ONION_MAX_HOPS } from '../messages.ts'
import { ClientCircuit } from './client-circuit.ts'
import { findOnionRelays, pickPath } from './onion-directory.ts'
import type { RelayInfo } from './onion-directory.ts'
import type { GuardRecord } from './guard-store.ts'
import { CircuitPool } from './circuit-pool.ts'
import type { OnionStream } from './onion-stream.ts'

/**
 * Anonymous connections: each `connect` builds a fresh circuit through `hops` relays on
 * distinct hosts, picked at random from a verified lookup of the relay service hash, and opens
 * one stream through it. A relay that fails a build is avoided for `avoidMs` and the build is
 * retried on another path, so a circuit that dies (a relay went away) is replaced by the next
 * `connect`. The client's own relays are never used (`excludeHosts`).
 */

export interface OnionClientInit {
  hops?: number
  /** Builds tried per connect before giving up. */
  attempts?: number
  timeoutMs?: number
  avoidMs?: number
  /** Host keys (hex) never to route through, e.g. this host's own. */
  excludeHosts?: Iterable<string>
  /** How long a relay lookup may take, in ms. */
  lookupTimeoutMs?: number
  /** How long found relays are reused before looking again, in ms. */
  relayCacheMs?: number
  /**
   * Guard relays to keep as first hops (0: a random first hop each time). A long-lived host
   * keeps a few, so that a relay run to watch it sees it only if chosen once, not eventually.
   */
  guards?: number
  /** Guards kept from before (a restarted host's, from guard-store.ts): used first while they last. */
  savedGuards?: GuardRecord[]
  /** Told the guard set whenever it changes, to keep it (guard-store.ts). */
  onGuards?: (guards: GuardRecord[]) => void
  /** How long a guard is kept before a fresh one replaces it, in ms. */
  guardLifetimeMs?: number
  /**
   * Circuits to keep built ahead of need, a hop short (circuit-pool.ts): a use then waits for one
   * hop, not three. For long-lived clients (a host); 0 (the default) builds each on demand.
   */
  prebuilt?: number
}

export class OnionClient {
  private cache: { relays: RelayInfo[]; at: number } | null = null
  private readonly avoided = new Map<string, number>()
  private readonly open = new Set<Duplex>()
  private guards: Array<RelayInfo & { since: number; missing: number }>
  private readonly pool: CircuitPool | null
  private lastLookup: readonly RelayInfo[] | null = null
  private readonly exclude: Set<string>
  private closed = false

  constructor(
    private readonly dht: DHT,
    private readonly init: OnionClientInit = {}
  ) {
    this.exclude = new Set(init.excludeHosts ?? [])
    this.guards = (init.savedGuards ?? []).map((g) => ({ relayKey: g.relay, hostKey: g.host, since: g.since, missing: 0 }))
    this.pool = init.prebuilt && this.hops > 1 ? new CircuitPool(() => this.buildShort(), init.prebuilt, ONION.prebuiltMaxAgeMs) : null
    const hops = this.hops
    if (!Number.isInteger(hops) || hops < 1 || hops > ONION_MAX_HOPS) throw HypernetError.USAGE(`hops: expected 1 to ${ONION_MAX_HOPS}, got ${hops}`)
  }

  private get hops(): number {
    return this.init.hops ?? ONION.hops
  }

  async ready(): Promise<void> {}

  /** Relays currently known (looked up when the cache is stale or `refresh`). */
  async relays(refresh = false): Promise<RelayInfo[]> {
    const fresh = this.cache && Date.now() - this.cache.at < (this.init.relayCacheMs ?? 60_000)
    if (refresh || !fresh) {
      this.cache = { relays: await findOnionRelays(this.dht, { timeoutMs: this.init.lookupTimeoutMs }), at: Date.now() }
      // relays known: circuits can be built ahead of the first use
      if (this.cache.relays.length > 0) this.pool?.refill()
    }
    return this.cache!.relays
  }

  /** Relay keys and host keys avoided now, after failing a build. */
  avoiding(): string[] {
    const now = Date.now()
    for (const [k, until] of this.avoided) if (until <= now) this.avoided.delete(k)
    return [...this.avoided.keys()]
  }

  /**
   * Open an anonymous stream to `serviceKey`.
   * @throws NO_RELAYS when fewer than `hops` usable relays on distinct hosts are known;
   *   CIRCUIT_FAILED when every attempt failed (the last failure's reason); CIRCUIT_TAMPERED
   */
  async connect(serviceKey: Buffer): Promise<OnionStream> {
    return this.withCircuit(undefined, async (circuit) => {
      const stream = await circuit.begin(serviceKey)
      this.track(stream)
      return stream
    })
  }

  /**
   * Build a circuit (ending at `last` when given, e.g. an introduction or rendezvous point) and
   * run `use` on it; a build or a `use` that fails for a relay's fault is retried on another
   * path. The circuit is closed when `use` throws; otherwise it is the caller's.
   * @throws NO_RELAYS, CIRCUIT_FAILED, CIRCUIT_TAMPERED, or what `use` throws
   */
  async withCircuit<T>(last: RelayInfo | undefined, use: (circuit: ClientCircuit) => Promise<T>): Promise<T> {
    if (this.closed) throw HypernetError.CIRCUIT_FAILED('the onion client is closed', 'closing')
    const attempts = this.init.attempts ?? 4
    const hops = last ? this.hops - 1 : this.hops
    let failed: unknown = null
    for (let i = 0; i < attempts; i++) {
      const avoid = new Set([...this.exclude, ...this.avoiding()])
      if (last) avoid.add(last.hostKey).add(last.relayKey)
      const relays = await this.relays(i > 0 && failed !== null)
      // first a pre-built circuit, extended by one hop; a retry builds a whole new one
      const pooled = i === 0 ? this.takePooled(relays, avoid, last) : null
      let circuit: ClientCircuit
      let open: () => Promise<void>
      if (pooled) {
        circuit = pooled.circuit
        open = () => pooled.circuit.extend(pooled.end)
      } else {
        const built = await this.plan(relays, hops, avoid, last)
        circuit = built
        open = () => built.build()
        this.pool?.refillLater()
      }
      let opened = false
      try {
        await open()
        opened = true
        return await use(circuit)
      } catch (err) {
        failed = err
        circuit.close()
        // tampering is an attack, not bad luck: say so at once
        if (isHypernetError(err, 'CIRCUIT_TAMPERED')) throw err
        this.blamed(err)
        // a pre-built circuit may have gone stale while it waited: build a fresh one
        if (pooled && !opened) continue
        const d = isHypernetError(err) ? err.details : undefined
        // the destination itself is unreachable, or the chosen last hop failed: another path will not help
        if (d?.reason === 'unreachable' && d.relay === undefined) throw err
        if (last && (!isHypernetError(err) || d?.relay === undefined || d.relay === last.relayKey)) throw err
      }
    }
    throw isHypernetError(failed) ? failed : HypernetError.CIRCUIT_FAILED(`no circuit after ${attempts} attempts`, 'unreachable', failed)
  }

  /** A pre-built circuit clear of `avoid`, and the relay to extend it to (`last`, or a random exit). */
  private takePooled(relays: readonly RelayInfo[], avoid: ReadonlySet<string>, last: RelayInfo | undefined): { circuit: ClientCircuit; end: RelayInfo } | null {
    const circuit = this.pool?.take(avoid)
    if (!circuit) return null
    const end = last ?? pickPath(relays, 1, new Set([...avoid, ...circuit.path.flatMap((r) => [r.hostKey, r.relayKey])]))[0]
    if (end) return { circuit, end }
    circuit.close()
    return null
  }

  /**
   * An unbuilt circuit of `hops` relays from `relays` (a fresh lookup if too few), guard first,
   * then `last` when given.
   * @throws NO_RELAYS
   */
  private async plan(relays: readonly RelayInfo[], hops: number, avoid: ReadonlySet<string>, last?: RelayInfo): Promise<ClientCircuit> {
    let path = this.pickWithGuard(relays, hops, avoid)
    if (path.length < hops) path = this.pickWithGuard(await this.relays(true), hops, avoid)
    if (path.length < hops) throw HypernetError.NO_RELAYS(this.hops, path.length + (this.hops - hops))
    // a circuit that dies later (a relay went away) steers the next build around that relay
    return new ClientCircuit(this.dht, last ? [...path, last] : path, this.init.timeoutMs ?? ONION.buildTimeoutMs, (e) => this.blamed(e))
  }

  /** One circuit a hop short of `hops`, for the pool. @throws NO_RELAYS, CIRCUIT_FAILED */
  private async buildShort(): Promise<ClientCircuit> {
    const circuit = await this.plan(await this.relays(), this.hops - 1, new Set([...this.exclude, ...this.avoiding()]))
    try {
      await circuit.build()
    } catch (err) {
      this.blamed(err)
      throw err
    }
    return circuit
  }

  /** Pre-built circuits waiting (0 without `prebuilt`). */
  prebuiltCount(): number {
    return this.pool?.available ?? 0
  }

  /**
   * A path of `hops` relays whose first is one of this client's guards (when it keeps any):
   * a few relays chosen once and kept while they work, so that the few relays that ever see
   * this machine's address stay the same few, rather than every relay in turn (Tor's guards).
   * The first guard is primary; the next stands in when it is the path's chosen last hop, or
   * missing from the latest lookup.
   */
  private pickWithGuard(relays: readonly RelayInfo[], hops: number, avoid: ReadonlySet<string>): RelayInfo[] {
    if ((this.init.guards ?? 0) === 0) return pickPath(relays, hops, avoid)
    this.updateGuards(relays)
    const guard = this.guards.find((g) => g.missing === 0 && !avoid.has(g.hostKey) && !avoid.has(g.relayKey))
    if (!guard) return pickPath(relays, hops, avoid)
    const rest = pickPath(relays, hops - 1, new Set([...avoid, guard.hostKey, guard.relayKey]))
    return [{ relayKey: guard.relayKey, hostKey: guard.hostKey }, ...rest]
  }

  /** The guards in use (relay keys, hex). */
  guardKeys(): string[] {
    return this.guards.map((g) => g.relayKey)
  }

  /** The guards, chosen now if none are yet (relay keys, hex): what must never also hold a role that would name this host. */
  async currentGuards(): Promise<string[]> {
    if ((this.init.guards ?? 0) > 0) this.updateGuards(await this.relays())
    return this.guardKeys()
  }

  /**
   * Drop guards that failed, aged out, or were missing from three relay lookups in a row (one
   * lookup that missed one is no reason to show this host's address to a new relay), choose
   * new ones up to `guards`, and report a change.
   */
  private updateGuards(relays: readonly RelayInfo[]): void {
    const wanted = this.init.guards ?? 0
    const before = this.guardKeys().join()
    const gone = new Set(this.avoiding())
    const expired = Date.now() - (this.init.guardLifetimeMs ?? ONION.guardLifetimeMs)
    // a lookup is counted once, however many paths are picked from its result
    if (relays !== this.lastLookup) {
      this.lastLookup = relays
      for (const g of this.guards) g.missing = relays.some((r) => r.relayKey === g.relayKey) ? 0 : g.missing + 1
    }
    const kept = this.guards
      .filter((g) => !gone.has(g.relayKey) && !gone.has(g.hostKey) && !this.exclude.has(g.hostKey) && g.since > expired && g.missing < 3)
      .slice(0, wanted)
    // a guard just dropped (failed, aged out, missing) is not chosen again in its own place
    const dropped = this.guards.filter((g) => !kept.includes(g)).flatMap((g) => [g.hostKey, g.relayKey])
    this.guards = kept
    if (this.guards.length < wanted) {
      const taken = new Set([...this.exclude, ...gone, ...dropped, ...this.guards.flatMap((g) => [g.hostKey, g.relayKey])])
      this.guards.push(...pickPath(relays, wanted - this.guards.length, taken).map((r) => ({ ...r, since: Date.now(), missing: 0 })))
    }
    if (this.guardKeys().join() !== before) this.init.onGuards?.(this.guards.map((g) => ({ relay: g.relayKey, host: g.hostKey, since: g.since })))
  }

  /**
   * Up to `count` relays on distinct hosts for single-relay roles (introduction points), never
   * on an excluded host, one that failed lately, or one in `avoid` (host or relay keys, hex).
   */
  async pickRelays(count: number, avoid: Iterable<string> = []): Promise<RelayInfo[]> {
    const skip = new Set([...this.exclude, ...this.avoiding(), ...avoid])
    let picked = pickPath(await this.relays(), count, skip)
    if (picked.length < count) picked = pickPath(await this.relays(true), count, skip)
    return picked
  }

  /** The relay with key `relayKey` as last looked up; its host unknown (the key stands in) if not found. */
  async relayInfo(relayKey: string): Promise<RelayInfo> {
    const known = (await this.relays()).find((r) => r.relayKey === relayKey)
    return known ?? { relayKey, hostKey: relayKey }
  }

  /** Destroy `stream` with the client. */
  track(stream: Duplex): void {
    this.open.add(stream)
    stream.once('close', () => this.open.delete(stream))
  }

  /** Destroy every open anonymous stream. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.pool?.close()
    for (const s of [...this.open]) s.destroy()
  }

  /** Avoid the relay (and its host) an error blames, for avoidMs. */
  private blamed(err: unknown): void {
    const d = isHypernetError(err) ? err.details : undefined
    if (typeof d?.relay !== 'string') return
    const until = Date.now() + (this.init.avoidMs ?? ONION.avoidMs)
    this.avoided.set(d.relay, until)
    if (typeof d.host === 'string') this.avoided.set(d.host, until)
  }
}
