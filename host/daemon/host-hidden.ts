import type { KeyPair, SecretStream } from 'hyperdht'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import { HiddenService, hiddenKeyPair } from '../onion/index.ts'
import type { HiddenServiceInit, HiddenServiceStatus, OnionClient } from '../onion/index.ts'

/**
 * The host's hidden services (`start --hidden <app>[/<service>]`): those services are not
 * listened on their public keys nor listed in the host's descriptor; each runs as a
 * HiddenService under a key derived from the host secret and the service hash, and its
 * connections go to the plugin like any other. An app whose every service is hidden is left
 * out of the descriptor altogether, so not even its code hash points at this host.
 */

export interface HiddenSpec {
  app: string
  /** null: every service of the app. */
  service: string | null
}

/**
 * Parse `--hidden` values: `<app>` or `<app>/<service>`.
 * @throws USAGE naming the value that is neither
 */
export function parseHiddenSpecs(values: readonly string[]): HiddenSpec[] {
  return values.map((v) => {
    const m = /^([a-z0-9][a-z0-9-]*)(?:\/([a-z0-9][a-z0-9._-]*))?$/.exec(v.trim())
    if (!m) throw HypernetError.USAGE(`--hidden: expected <app> or <app>/<service>, got "${v}"`)
    return { app: m[1], service: m[2] ?? null }
  })
}

export interface HostHiddenDeps {
  identity: KeyPair
  log: Logger
  onion: () => OnionClient
  /** Hand a connection to the plugin that vends the service. */
  route: (app: string, service: string, stream: SecretStream) => void
}

export type HiddenStatus = HiddenServiceStatus & { app: string; service: string; hash: string }

export class HostHiddenServices {
  private readonly running = new Map<string, { app: string; service: string; hash: string; hs: HiddenService }>()

  constructor(
    private readonly specs: readonly HiddenSpec[],
    private readonly deps: HostHiddenDeps,
    private readonly init: HiddenServiceInit = {}
  ) {}

  /** Whether the operator asked for this service to be hidden. */
  isHidden(app: string, service: string): boolean {
    return this.specs.some((s) => s.app === app && (s.service === null || s.service === service))
  }

  /** Start the hidden service for one service of a running app (its hash, hex). */
  async start(app: string, service: string, hash: string): Promise<void> {
    await this.serve(app, service, hash, (s) => this.deps.route(app, service, s))
  }

  /**
   * Run a hidden service for `hash` whose connections go to `onConnection` (an app's service,
   * or an exposed bridge, whose `app` is "bridge"); returns its hidden key.
   */
  async serve(app: string, service: string, hash: string, onConnection: (s: SecretStream) => void): Promise<Buffer> {
    const known = this.running.get(hash)
    if (known) return known.hs.key
    const hs = new HiddenService(this.deps.onion(), hiddenKeyPair(this.deps.identity.secretKey, Buffer.from(hash, 'hex')), onConnection, {
      logger: this.deps.log,
      name: `${app}/${service}`,
      ...this.init
    })
    this.running.set(hash, { app, service, hash, hs })
    await hs.ready()
    this.deps.log.info('hidden service started', { app, service, key: hs.status().key })
    return hs.key
  }

  /** Stop the hidden service of a service hash, if one runs. */
  async stop(hash: string): Promise<void> {
    const r = this.running.get(hash)
    if (!r) return
    this.running.delete(hash)
    await r.hs.close()
  }

  status(): HiddenStatus[] {
    return [...this.running.values()].map((r) => ({ app: r.app, service: r.service, hash: r.hash, ...r.hs.status() }))
  }

  async close(): Promise<void> {
    for (const hash of [...this.running.keys()].reverse()) await this.stop(hash)
  }
}
