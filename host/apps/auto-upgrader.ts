import type DHT from 'hyperdht'
import { AUTO_UPGRADE_INTERVAL_MS } from '../constants.ts'
import type { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import type { AppStore } from '../store/index.ts'
import type { TrustStore } from '../store/index.ts'
import { findUpgrade } from './find-upgrades.ts'
import { finishInstall } from './net-install.ts'
import { Lifecycle } from '../util/lifecycle.ts'

/**
 * The daemon's auto-upgrade: every `intervalMs`, for each installed app whose publisher is
 * trusted with `--auto-upgrade`, find a newer release (signed by the pinned publisher) and
 * install it when it adds no permission. A release that adds one is held for a person
 * (`hypernet-host upgrade`), and logged once per release.
 */

export interface AutoUpgradeResult {
  app: string
  to: string
  codeHash: string
  status: 'upgraded' | 'held' | 'failed'
  why?: string
}

export interface AutoUpgraderComponents {
  dht: DHT
  store: AppStore
  trust: TrustStore
  log: Logger
  /** This host's own key, never a vendor to itself. */
  exclude(): ReadonlySet<string>
  /** Called after an upgrade was stored, to start the new version. */
  applied(): Promise<void>
}

export class AutoUpgrader {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<AutoUpgradeResult[]> | null = null
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }
  private readonly held = new Set<string>()

  constructor(
    private readonly c: AutoUpgraderComponents,
    private readonly init: { intervalMs?: number } = {}
  ) {}

  ready(): Promise<void> {
    return this.life.ready(() => {
      this.timer = setInterval(() => void this.runOnce(), this.init.intervalMs ?? AUTO_UPGRADE_INTERVAL_MS)
      this.timer.unref()
    })
  }

  /** One round now (or the one already running). */
  runOnce(): Promise<AutoUpgradeResult[]> {
    this.running ??= this.round()
      .catch((err: Error) => {
        this.c.log.error('auto-upgrade round failed', { error: err.stack ?? err.message })
        return []
      })
      .finally(() => {
        this.running = null
      })
    return this.running
  }

  close(): Promise<void> {
    return this.life.close(async () => {
      if (this.timer) clearInterval(this.timer)
      await this.running
    })
  }

  private async round(): Promise<AutoUpgradeResult[]> {
    const auto = new Set((await this.c.trust.list()).filter((p) => p.autoUpgrade).map((p) => p.key))
    if (auto.size === 0) return []
    const trusted = await this.c.trust.keys()
    const out: AutoUpgradeResult[] = []
    for (const app of await this.c.store.list()) {
      if (this.closed || !auto.has(app.publisher)) continue
      const found = await findUpgrade(this.c.dht, app, { trusted, exclude: this.c.exclude() })
      if (!found) continue
      const m = found.release.manifest
      const base = { app: app.name, to: m.app.version, codeHash: found.release.codeHash }
      let added: string[] = []
      try {
        // the diff is against what is installed when the install is planned (finishInstall),
        // not a snapshot from before, and the install is refused unless it adds nothing
        await finishInstall({ dht: this.c.dht, store: this.c.store, trusted }, found.release, found.hosts, {
          consent: async (req) => {
            added = req.diff?.added ?? []
            return req.diff !== null && added.length === 0
          }
        })
        this.c.log.info('auto-upgraded', { ...base, from: app.version })
        out.push({ ...base, status: 'upgraded' })
      } catch (err) {
        if ((err as HypernetError).code === 'CONSENT_DENIED' && added.length > 0) {
          if (!this.held.has(base.codeHash)) this.c.log.warn('upgrade held: it adds permissions; run hypernet-host upgrade to review it', { ...base, added })
          this.held.add(base.codeHash)
          out.push({ ...base, status: 'held', why: added.join(', ') })
        } else {
          this.c.log.warn('auto-upgrade failed', { ...base, error: (err as Error).message })
          out.push({ ...base, status: 'failed', why: (err as Error).message })
        }
      }
    }
    if (out.some((r) => r.status === 'upgraded')) await this.c.applied()
    return out
  }
}
