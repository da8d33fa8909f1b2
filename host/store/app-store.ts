import { readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { HypernetError } from '../errors.ts'
import { decodeId, formatId } from '../encoding/ids.ts'
import { codeHash } from '../manifest/index.ts'
import type { Manifest } from '../manifest/index.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { orDiskFull } from '../util/disk-full.ts'
import { exists } from '../util/exists.ts'
import { withLock } from './lock.ts'
import { planInstall } from './install-policy.ts'
import { appFolder, checkIndex } from './store-index.ts'
import type { IndexFile, InstalledApp } from './store-index.ts'
import type { InstallPlan, PolicyOptions } from './install-policy.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * The app store: installed apps under `<home>/store`, content-addressed by code hash.
 *
 *   store/apps/<code hash>-<name>/app.wasm        the module, byte for byte as signed
 *   store/apps/<code hash>-<name>/manifest.json   its signed manifest (per name: two apps may share code)
 *   store/index.json                       app name -> code hash, written atomically
 *   store/staging/                         installs in progress
 *   store/lock/                            held while the index changes
 *
 * An install stages and re-checks the files, renames the folder into apps/, then switches the
 * index. A crash at any point leaves the index as it was; leftovers (staging folders, app
 * folders the index does not name) are swept by `ready()`. An upgrade keeps the old version's
 * folder until the index names the new one. Every install goes through the install policy
 * (install-policy.ts) inside the lock, so no caller can skip it; the index keeps each name's
 * pinned publisher (`pins`), also after the app is uninstalled. The index is checked whole when
 * read (store-index.ts), and every folder removed is proven to lie directly inside apps/.
 */

export type { InstalledApp } from './store-index.ts'

export interface InstallOptions extends PolicyOptions {
  /** The plan the user consented to: anything else found under the lock is STORE_CHANGED. */
  expect?: InstallPlan['kind']
}

export type InstallStatus = 'installed' | 'unchanged' | 'upgraded' | 'renewed' | 'downgraded' | 'replaced'

export type InstallOutcome = { status: InstallStatus; app: InstalledApp; previous?: InstalledApp }

const STATUS_OF: Record<InstallPlan['kind'], InstallStatus> = {
  install: 'installed',
  upgrade: 'upgraded',
  renew: 'renewed',
  unchanged: 'unchanged',
  downgrade: 'downgraded',
  'replace-publisher': 'replaced'
}

export interface AppStoreInit {
  dir: string
}

/** Create the store for a home's `store` folder; call ready() before use. */
export function createAppStore(init: AppStoreInit): AppStore {
  return new AppStore(init.dir)
}

export class AppStore {
  readonly dir: string
  private opened: Promise<void> | null = null

  constructor(dir: string) {
    this.dir = dir
  }

  private get indexFile(): string {
    return join(this.dir, 'index.json')
  }

  private get appsDir(): string {
    return join(this.dir, 'apps')
  }

  /** An app's folder, never outside apps/ whatever the index says. */
  private folderPath(app: InstalledApp): string {
    return appFolder(this.appsDir, folderOf(app), this.indexFile)
  }

  private get lockDir(): string {
    return join(this.dir, 'lock')
  }

  /** Create the folders and sweep what an interrupted install left behind. */
  ready(): Promise<void> {
    if (this.opened === null) this.opened = this.open()
    return this.opened
  }

  /** Nothing is held open between calls; present so the store has the lifecycle of the rest. */
  async close(): Promise<void> {}

  private async open(): Promise<void> {
    await makeDirs(join(this.dir, 'apps'))
    await makeDirs(join(this.dir, 'staging'))
    await withLock(this.lockDir, async () => {
      const index = await this.readIndex()
      const live = new Set(Object.values(index.apps).map((a) => folderOf(a)))
      for (const d of await readdir(join(this.dir, 'apps'))) {
        if (!live.has(d)) await rm(join(this.dir, 'apps', d), { recursive: true, force: true })
      }
      for (const d of await readdir(join(this.dir, 'staging'))) {
        const p = join(this.dir, 'staging', d)
        // a staging folder younger than a minute may belong to an install running right now
        if (Date.now() - (await stat(p)).mtimeMs > 60_000) await rm(p, { recursive: true, force: true })
      }
    })
  }

  /** Every installed app, sorted by name. */
  async list(): Promise<InstalledApp[]> {
    await this.ready()
    const index = await this.readIndex()
    return Object.values(index.apps).sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * Find an app by name or code hash (hex or z32).
   * @throws APP_NOT_FOUND
   */
  async get(ref: string): Promise<InstalledApp> {
    const apps = await this.list()
    const id = decodeId(ref)
    const hex = id ? formatId(id) : null
    const found = apps.find((a) => a.name === ref || a.codeHash === hex)
    if (!found) throw HypernetError.APP_NOT_FOUND(ref)
    return found
  }

  /** App name -> the publisher (hex) its first install pinned, installed or not. */
  async pins(): Promise<Record<string, string>> {
    await this.ready()
    const index = await this.readIndex()
    const out: Record<string, string> = { ...index.pins }
    for (const a of Object.values(index.apps)) out[a.name] ??= a.publisher
    return out
  }

  /** Paths of an installed app's files. */
  filesOf(app: InstalledApp): { wasm: string; manifest: string } {
    const d = this.folderPath(app)
    return { wasm: join(d, 'app.wasm'), manifest: join(d, 'manifest.json') }
  }

  /** Read an installed app's manifest. */
  async manifestOf(app: InstalledApp): Promise<Manifest> {
    return JSON.parse(await readFile(this.filesOf(app).manifest, 'utf8')) as Manifest
  }

  /**
   * What installing `manifest` would do under the install policy, without changing anything:
   * for prompts that must say "upgrade", "replaces another publisher's app" before consent.
   * @throws PUBLISHER_CHANGED, DOWNGRADE, VERSION_CONFLICT
   */
  async plan(manifest: Manifest, opts: PolicyOptions = {}): Promise<InstallPlan & { previous?: InstalledApp; previousManifest?: Manifest }> {
    await this.ready()
    const index = await this.readIndex()
    return this.planIn(index, manifest, formatId(decodeId(manifest.code.hash)!), opts)
  }

  private async planIn(
    index: IndexFile,
    manifest: Manifest,
    hash: string,
    opts: PolicyOptions
  ): Promise<InstallPlan & { previous?: InstalledApp; previousManifest?: Manifest }> {
    const previous = index.apps[manifest.app.name]
    const previousManifest = previous ? await this.manifestOf(previous) : undefined
    const installed = previous && previousManifest ? { ...previous, manifest: previousManifest } : null
    const plan = planInstall(manifest, hash, installed, index.pins?.[manifest.app.name] ?? null, opts)
    return { ...plan, previous, previousManifest }
  }

  /**
   * Install a verified app (the caller ran verifyApp), under the install policy: a new name,
   * an upgrade, a renewed manifest for the same code, or nothing when it is already installed.
   * Safe when several run at once.
   * An install that runs out of disk space leaves the index and the installed apps as they were.
   * @throws PUBLISHER_CHANGED, DOWNGRADE, VERSION_CONFLICT, STORE_CHANGED (not the plan consented to), STORE_LOCKED, DISK_FULL, INTERNAL when the staged copy does not read back as written
   */
  install(manifest: Manifest, wasm: Uint8Array, opts: InstallOptions = {}): Promise<InstallOutcome> {
    return orDiskFull(this.dir, `install ${manifest.app.name}`, async () => {
      await this.ready()
      return this.installStaged(manifest, wasm, opts)
    })
  }

  private async installStaged(manifest: Manifest, wasm: Uint8Array, opts: InstallOptions): Promise<InstallOutcome> {
    const hash = formatId(codeHash(wasm))
    const stage = join(this.dir, 'staging', `${hash.slice(0, 16)}-${randomBytes(6).toString('hex')}`)
    await makeDirs(stage)
    try {
      await atomicWrite(join(stage, 'app.wasm'), wasm)
      await atomicWrite(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
      const back = await readFile(join(stage, 'app.wasm'))
      if (formatId(codeHash(back)) !== hash) throw HypernetError.INTERNAL(`${stage}: staged wasm does not read back as written`)

      return await withLock(this.lockDir, async () => {
        const index = await this.readIndex()
        const name = manifest.app.name
        const previous = index.apps[name]
        const plan = await this.planIn(index, manifest, hash, opts)
        if (opts.expect !== undefined && plan.kind !== opts.expect) throw HypernetError.STORE_CHANGED(name, opts.expect, plan.kind)
        if (plan.kind === 'unchanged' && previous && (await exists(this.folderPath(previous)))) {
          return { status: 'unchanged' as const, app: previous }
        }
        // same code under a new manifest gets a folder of its own: the index names the old one
        // until it names the new one, so a crash at any point leaves a whole app installed
        let folder = `${hash}-${name}`
        if (await exists(join(this.dir, 'apps', folder))) folder = `${hash}-${name}.${randomBytes(3).toString('hex')}`
        const target = join(this.dir, 'apps', folder)
        await rename(stage, target)
        const undo = () => rm(target, { recursive: true, force: true })
        const app: InstalledApp = {
          name,
          version: manifest.app.version,
          codeHash: hash,
          folder,
          publisher: formatId(decodeId(manifest.publisher)!),
          enabled: previous?.enabled ?? true,
          installedAt: new Date().toISOString()
        }
        index.apps[name] = app
        index.pins = { ...index.pins, [name]: app.publisher }
        try {
          await this.writeIndex(index)
        } catch (err) {
          // the index is as it was (atomic write): so must the folders be
          await undo()
          throw err
        }
        if (previous && folderOf(previous) !== folder && !this.referenced(index, folderOf(previous))) {
          await rm(this.folderPath(previous), { recursive: true, force: true })
        }
        const status = plan.kind === 'unchanged' ? 'installed' : STATUS_OF[plan.kind]
        return previous ? { status, app, previous } : { status, app }
      })
    } finally {
      await rm(stage, { recursive: true, force: true })
    }
  }

  /**
   * Remove an app by name or code hash.
   * @throws APP_NOT_FOUND, STORE_LOCKED
   */
  async uninstall(ref: string): Promise<InstalledApp> {
    const app = await this.get(ref)
    await withLock(this.lockDir, async () => {
      const index = await this.readIndex()
      delete index.apps[app.name]
      await this.writeIndex(index)
      if (!this.referenced(index, folderOf(app))) await rm(this.folderPath(app), { recursive: true, force: true })
    })
    return app
  }

  /** Enable or disable an app without removing it. @throws APP_NOT_FOUND */
  async setEnabled(ref: string, enabled: boolean): Promise<InstalledApp> {
    const app = await this.get(ref)
    return withLock(this.lockDir, async () => {
      const index = await this.readIndex()
      const cur = index.apps[app.name]
      if (!cur) throw HypernetError.APP_NOT_FOUND(ref)
      cur.enabled = enabled
      await this.writeIndex(index)
      return cur
    })
  }

  private referenced(index: IndexFile, folder: string): boolean {
    return Object.values(index.apps).some((a) => folderOf(a) === folder)
  }

  private async readIndex(): Promise<IndexFile> {
    let raw: string
    try {
      raw = await readFile(this.indexFile, 'utf8')
    } catch (err: any) {
      if (err.code === 'ENOENT') return { version: 1, apps: {} }
      throw err
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch (err) {
      throw HypernetError.STORE_INDEX_INVALID(
        this.indexFile,
        '',
        'a JSON object { version, apps, pins }',
        raw,
        `text that is not JSON (${(err as Error).message})`
      )
    }
    return checkIndex(this.indexFile, parsed)
  }

  private async writeIndex(index: IndexFile): Promise<void> {
    await atomicWrite(this.indexFile, JSON.stringify(index, null, 2) + '\n')
  }
}

function folderOf(app: InstalledApp): string {
  return app.folder ?? app.codeHash
}
