import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RESTART } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { validateDraft } from '../manifest/index.ts'
import type { ManifestBody } from '../manifest/index.ts'
import { createDuplexPair } from './duplex-pair.ts'
import { HarnessConnection } from './harness-connection.ts'
import { createPluginRuntime } from './plugin-runtime.ts'
import type { PluginRuntime } from './plugin-runtime.ts'
import type { AppRef, DialFn, MeshFn, DialTarget, DuplexLike, PluginState, PluginStatus, RunnableApp, RuntimeLogEntry, RuntimeLogger } from './types.ts'

/**
 * Drive a plugin with no network: the real runtime (real worker, real Extism, real limits)
 * with in-memory streams instead of HyperDHT. For tests, and for plugin authors:
 *
 *   const h = createHarness({ wasm, manifest })
 *   await h.ready()
 *   const c = h.open('echo')
 *   await c.write('hi')
 *   assert.equal((await c.read(2)).toString(), 'hi')
 *   await h.close()
 */

export interface HarnessInit {
  wasm: Uint8Array
  manifest: ManifestBody
  /** Storage folder; default a fresh temporary one, removed by close(). */
  storageDir?: string
  /**
   * Dialer for the plugin's hn_connect. Default: `self/<service>` (and the hash of a service of
   * an app in this harness) loops back into the harness; anything else is refused.
   */
  dial?: DialFn
  /** Joins meshes for hn_mesh_join (hand it peer streams, e.g. from createDuplexPair). Default: none; a joined mesh has no peers. */
  mesh?: MeshFn
  restart?: Partial<typeof RESTART>
  logger?: RuntimeLogger
}

export interface Harness {
  readonly runtime: PluginRuntime
  /** Name of the app the harness was created with. */
  readonly app: string
  /** Every log entry so far. */
  readonly logs: RuntimeLogEntry[]
  /** Every target the plugins dialed, in order. */
  readonly dials: DialTarget[]
  /** Start the app. Throws what PluginRuntime.add() throws. */
  ready(): Promise<PluginStatus>
  /** Run another app in the same runtime. */
  add(app: RunnableApp): Promise<PluginStatus>
  /**
   * Connect to `service` as a peer with `peerKey` (random by default).
   * @throws USAGE when the app's manifest declares no such service, APP_NOT_FOUND for an app not in the harness
   */
  open(service: string, opts?: { peerKey?: Uint8Array; app?: string }): HarnessConnection
  status(app?: string): PluginStatus
  /** Resolves when the app reaches `state`; rejects with TIMEOUT after `timeoutMs` (10 s). */
  waitFor(state: PluginState, opts?: { app?: string; timeoutMs?: number }): Promise<PluginStatus>
  restart(app?: string): Promise<PluginStatus>
  close(): Promise<void>
}

/**
 * Create a harness around one app; call ready() to start it.
 * @throws MANIFEST_INVALID naming the first bad field of `init.manifest` (a draft or signed manifest)
 */
export function createHarness(init: HarnessInit): Harness {
  validateDraft(init.manifest)
  const logs: RuntimeLogEntry[] = []
  const dials: DialTarget[] = []
  const name = init.manifest.app.name
  const hostKey = randomBytes(32)
  let tempDir: string | null = null
  let runtime: PluginRuntime | null = null
  let closing: Promise<void> | null = null
  // the services each app declares: open() names a missing one, where the runtime's refusal
  // reached the test only as a reset connection
  const declared = new Map<string, string[]>([[name, init.manifest.services.map((s) => s.name)]])

  const loopback: DialFn = async (target: DialTarget, from: AppRef) => {
    const service = target.self
    if (service === null) throw HypernetError.CONNECTION_FAILED(`no peer vends ${target.raw} in this harness`)
    const [client, server] = createDuplexPair({ aKey: hostKey, bKey: hostKey })
    // the runtime reports failures; these harness-made ends need no listeners of their own
    client.on('error', () => {})
    server.on('error', () => {})
    rt().handleConnection(from.name, service, server)
    return client
  }
  const dial: DialFn = async (target, from, signal) => {
    dials.push(target)
    return (init.dial ?? loopback)(target, from, signal)
  }

  const rt = (): PluginRuntime => {
    if (runtime === null) throw HypernetError.USAGE('call harness.ready() first')
    return runtime
  }

  const harness: Harness = {
    get runtime() {
      return rt()
    },
    app: name,
    logs,
    dials,
    async ready() {
      if (runtime === null) {
        const storageDir = init.storageDir ?? (tempDir = await mkdtemp(join(tmpdir(), 'hn-harness-')))
        runtime = createPluginRuntime({ dial, mesh: init.mesh, logger: (e) => (logs.push(e), init.logger?.(e)) }, { storageDir, restart: init.restart })
      }
      const existing = runtime.list().find((s) => s.app === name)
      if (existing) return existing
      return runtime.add({ manifest: init.manifest, wasm: init.wasm })
    },
    add: (app) => {
      declared.set(app.manifest.app.name, app.manifest.services.map((s) => s.name))
      return rt().add(app)
    },
    open(service, opts = {}) {
      const app = opts.app ?? name
      const services = declared.get(app)
      if (!services) throw HypernetError.APP_NOT_FOUND(app)
      if (!services.includes(service))
        throw HypernetError.USAGE(`open: ${app} declares no service ${JSON.stringify(service)} (its manifest's services: ${services.join(', ') || 'none'})`)
      const [client, server] = createDuplexPair({ aKey: opts.peerKey, bKey: hostKey })
      server.on('error', () => {})
      rt().handleConnection(opts.app ?? name, service, server as DuplexLike)
      return new HarnessConnection(client)
    },
    status: (app = name) => rt().status(app),
    waitFor(state, opts = {}) {
      const app = opts.app ?? name
      const timeoutMs = opts.timeoutMs ?? 10_000
      const r = rt()
      if (r.status(app).state === state) return Promise.resolve(r.status(app))
      return new Promise((resolve, reject) => {
        const onState = (s: PluginStatus): void => {
          if (s.app !== app || s.state !== state) return
          clearTimeout(timer)
          r.off('state', onState)
          resolve(s)
        }
        const timer = setTimeout(() => {
          r.off('state', onState)
          reject(HypernetError.TIMEOUT(`${app} did not reach state ${state} within ${timeoutMs} ms (it is ${r.status(app).state})`))
        }, timeoutMs)
        r.on('state', onState)
      })
    },
    restart: (app = name) => rt().restart(app),
    close() {
      closing ??= (async () => {
        await runtime?.close()
        if (tempDir) await rm(tempDir, { recursive: true, force: true })
      })()
      return closing
    }
  }
  return harness
}

export { HarnessConnection }
