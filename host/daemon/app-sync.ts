import type { KeyPair } from 'hyperdht'
import type { Advertiser } from '../dns/index.ts'
import type { Logger } from '../log/index.ts'
import type { DescriptorAppWire } from '../messages.ts'
import type { ServiceListener } from '../net/index.ts'
import type { PluginRuntime } from '../plugins/index.ts'
import type { AppStore, InstalledApp } from '../store/index.ts'
import { FirewallStore } from '../store/index.ts'
import { isHypernetError } from '../errors.ts'
import { descriptorEntry, loadInstalledApp } from './app-loader.ts'
import type { LoadedApp } from './app-loader.ts'
import type { HostHiddenServices } from './host-hidden.ts'
import { idleStopFor } from './idle-policy.ts'
import type { IdlePolicy } from './idle-policy.ts'
import { resolveQuotas } from '../plugins/index.ts'

/**
 * Keeps a host's running apps in line with its store: starts new and upgraded apps (after
 * verifying them again from disk), stops removed ones, listens on or hides their services,
 * applies the firewall file, and keeps the host descriptor listing exactly the apps that are
 * up or idle on demand (hidden services never listed). Syncs run one at a time, in order.
 */

export interface RunningApp extends LoadedApp {
  startedAt: string
}

export interface AppSyncComponents {
  store: AppStore
  firewallFile: string
  log: Logger
  runtime: PluginRuntime
  listener: ServiceListener
  advertiser: Advertiser
  hidden: HostHiddenServices
  serviceKeyPair(serviceHash: string): KeyPair
  /** Descriptor entries that are not apps (the onion relay's). */
  extraEntries(): DescriptorAppWire[]
  /** The host's tables, which it owns and shows in status. */
  apps: Map<string, RunningApp>
  invalid: Map<string, { code: string; message: string }>
  routes: Map<string, { app: string; service: string }>
  /** True once the host is closing: no more starts or adverts. */
  closing(): boolean
  /** Which apps run on demand (idle-policy.ts); absent: all stay running. */
  idle?: IdlePolicy
}

export class AppSync {
  private syncing: Promise<void> = Promise.resolve()
  /** A sync is starting apps: their state changes do not readvertise one by one (the sync does, once, at its end). */
  private inSync = false
  /** What was last handed to the advertiser: an app going idle <-> running changes nothing there. */
  private advertised: string | null = null

  constructor(private readonly c: AppSyncComponents) {}

  /** Bring running apps in line with the store; calls queue behind each other. */
  sync(): Promise<void> {
    const next = this.syncing.then(() => this.doSync())
    this.syncing = next.catch(() => {})
    return next
  }

  /** Wait for the sync under way, if any. Never rejects. */
  settled(): Promise<void> {
    return this.syncing
  }

  /** Advertise apps whose plugin is up, idle on demand or coming back; withdraw failed and stopped ones. */
  readvertise(): Promise<void> {
    if (this.c.closing() || this.inSync) return Promise.resolve()
    const live = [...this.c.apps.values()].filter((a) => {
      try {
        const st = this.c.runtime.status(a.manifest.app.name).state
        return st !== 'failed' && st !== 'stopped'
      } catch {
        return false
      }
    })
    // hidden services are not listed; an app with only hidden services is not named at all
    const entries: DescriptorAppWire[] = live
      .map((a) => {
        const e = descriptorEntry(a, (h) => this.c.serviceKeyPair(h).publicKey)
        return { ...e, services: e.services.filter((s) => !this.c.hidden.isHidden(e.name, s.name)) }
      })
      .filter((e) => e.services.length > 0)
    const all = [...entries, ...this.c.extraEntries()]
    const key = JSON.stringify(all.map((e) => [e.name, e.version, Buffer.from(e.codeHash).toString('hex'), e.services.map((x) => [x.name, x.port])]))
    if (key === this.advertised) return Promise.resolve()
    this.advertised = key
    return this.c.advertiser.setApps(all)
  }

  private async doSync(): Promise<void> {
    if (this.c.closing()) return
    await this.applyFirewall()
    const installed = (await this.c.store.list()).filter((a) => a.enabled)
    const wanted = new Map(installed.map((a) => [a.name, a]))
    for (const [name, running] of [...this.c.apps]) {
      const w = wanted.get(name)
      if (!w || w.codeHash !== running.installed.codeHash) await this.stopApp(name)
    }
    for (const name of [...this.c.invalid.keys()]) if (!wanted.has(name)) this.c.invalid.delete(name)
    this.inSync = true
    try {
      await this.startAll(installed)
    } finally {
      this.inSync = false
    }
    await this.readvertise()
  }

  private async startAll(installed: InstalledApp[]): Promise<void> {
    for (const inst of installed) {
      if (this.c.apps.has(inst.name)) continue
      const loaded = await loadInstalledApp(this.c.store, inst)
      if (!loaded.ok) {
        this.c.invalid.set(inst.name, { code: loaded.code, message: loaded.message })
        this.c.log.error('app not started: it no longer verifies', { app: inst.name, code: loaded.code, error: loaded.message })
        continue
      }
      this.c.invalid.delete(inst.name)
      await this.startApp(loaded.app)
    }
  }

  /** Load the firewall file into the connection policy. */
  private async applyFirewall(): Promise<void> {
    const rules = await new FirewallStore(this.c.firewallFile).read()
    const p = this.c.listener.policy
    p.allow = new Set(rules.allow)
    p.deny = new Set(rules.deny)
  }

  private async startApp(app: LoadedApp): Promise<void> {
    const name = app.manifest.app.name
    this.c.apps.set(name, { ...app, startedAt: new Date().toISOString() })
    for (const s of app.services) this.c.routes.set(s.hash, { app: name, service: s.name })
    const idle = idleStopFor(app.manifest, this.c.idle)
    try {
      const st = await this.c.runtime.add({ manifest: app.manifest, wasm: app.wasm, idleStopMs: idle.ms })
      if (st.state === 'idle')
        this.c.log.info('app idle: its worker starts on the first connection', { app: name, version: app.manifest.app.version, idleStopMs: idle.ms })
      else this.c.log.info('app started', { app: name, version: app.manifest.app.version, ...(this.c.idle?.defaultMs ? { idleStop: idle.why } : {}) })
    } catch (err) {
      // the runtime keeps it (restarting or failed); status shows why
      this.c.log.warn('app did not start cleanly', { app: name, error: (err as Error).message })
    }
    for (const s of app.services) {
      if (this.c.hidden.isHidden(name, s.name)) await this.c.hidden.start(name, s.name, s.hash)
      else
        await this.c.listener.listen(
          s.hash,
          this.c.serviceKeyPair(s.hash),
          app.manifest.limits.idleTimeoutMs === undefined ? {} : { idleMs: resolveQuotas(app.manifest).idleTimeoutMs }
        )
    }
  }

  private async stopApp(name: string): Promise<void> {
    const app = this.c.apps.get(name)
    if (!app) return
    this.c.apps.delete(name)
    for (const s of app.services) this.c.routes.delete(s.hash)
    // the plugin first, whatever it is doing (terminated within RUNTIME_LIMITS.stopTimeoutMs)
    await this.c.runtime.remove(name).catch((err) => {
      if (!isHypernetError(err, 'APP_NOT_FOUND')) throw err
    })
    await this.readvertise()
    for (const s of app.services) {
      await this.c.hidden.stop(s.hash)
      await this.c.listener.unlisten(s.hash)
    }
    this.c.log.info('app stopped', { app: name })
  }
}
