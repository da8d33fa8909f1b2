import { EventEmitter } from 'node:events'
import { RESTART } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { PluginSupervisor } from './plugin-supervisor.ts'
import { workerSource } from './worker-source.ts'
import type { DialFn, DuplexLike, MeshFn, PluginStatus, RunnableApp, RuntimeLogEntry, RuntimeLogger } from './types.ts'
import { makeDirs } from '../util/make-dirs.ts'

/** Collaborators the runtime needs; all optional. */
export interface PluginRuntimeComponents {
  /** Opens outbound streams for hn_connect. Without one, every connect is REFUSED. */
  dial?: DialFn
  /** Joins meshes for hn_mesh_join. Without one, a joined mesh never has peers. */
  mesh?: MeshFn
  /** Receives every log entry (also emitted as 'log'). */
  logger?: RuntimeLogger
}

/** Options; defaults come from constants.ts. */
export interface PluginRuntimeInit {
  /** Folder for per-app storage (a subfolder per app). Required to run apps granted storage. */
  storageDir?: string
  /** Restart policy; tests shorten it. */
  restart?: Partial<typeof RESTART>
}

export interface PluginRuntimeEvents {
  state: [status: PluginStatus]
  log: [entry: RuntimeLogEntry]
}

/**
 * Runs installed apps as plugins, one worker thread each, isolated, limited and restarted
 * (see plugin-supervisor.ts). Inbound streams arrive through handleConnection(); outbound
 * ones come from the `dial` component. Emits 'state' on every lifecycle change and 'log'
 * for every log entry.
 */
export class PluginRuntime extends EventEmitter<PluginRuntimeEvents> {
  private readonly apps = new Map<string, PluginSupervisor>()
  private readonly restartPolicy: typeof RESTART
  private source: URL | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(private readonly components: PluginRuntimeComponents, private readonly init: PluginRuntimeInit) {
    super()
    this.restartPolicy = { ...RESTART, ...init.restart }
  }

  /** Prepare the worker code and the storage folder. Idempotent. @throws INTERNAL */
  ready(): Promise<void> {
    this.opening ??= (async () => {
      if (this.init.storageDir) await makeDirs(this.init.storageDir, 0o700)
      this.source = await workerSource()
    })()
    return this.opening
  }

  /**
   * Add an app and start it; resolves with its status once running. An app with `idleStopMs`
   * is not started: it resolves `idle`, and its first connection starts it.
   * @throws USAGE when an app of that name is already added or the runtime is closed
   * @throws WASM_INVALID, MEMORY_LIMIT, EXPORT_MISSING, IMPORT_NOT_ALLOWED, ABI_UNSUPPORTED when
   *   the module can never run (the app stays added, `failed`, until removed)
   * @throws PLUGIN_CRASHED, PLUGIN_TIMEOUT when its first start crashed (it keeps restarting)
   */
  async add(app: RunnableApp): Promise<PluginStatus> {
    if (this.closing) throw HypernetError.USAGE('the plugin runtime is closed')
    await this.ready()
    const name = app.manifest.app.name
    if (this.apps.has(name)) throw HypernetError.USAGE(`an app named ${JSON.stringify(name)} is already added; remove it first`)
    const sup = new PluginSupervisor(app, {
      workerSource: () => this.source!,
      storageDir: this.init.storageDir ?? null,
      dial: this.components.dial,
      mesh: this.components.mesh,
      restart: this.restartPolicy,
      log: (entry) => this.log(entry),
      onState: (status) => this.emit('state', status)
    })
    this.apps.set(name, sup)
    return sup.idle()
  }

  /** Stop an app gracefully and forget it. @throws APP_NOT_FOUND */
  async remove(name: string): Promise<void> {
    const sup = this.get(name)
    this.apps.delete(name)
    await sup.stop()
  }

  /** Stop an app gracefully; it stays added, `stopped`, until restart(). @throws APP_NOT_FOUND */
  async stop(name: string): Promise<void> {
    await this.get(name).stop()
  }

  /**
   * Operator restart (also the way out of `failed`): clears the crash history and starts again.
   * @throws APP_NOT_FOUND, and what add() throws for a start
   */
  async restart(name: string): Promise<PluginStatus> {
    if (this.closing) throw HypernetError.USAGE('the plugin runtime is closed')
    return this.get(name).restart()
  }

  /**
   * Hand an inbound stream for `service` of app `name` to its plugin. Never throws: a stream
   * the runtime cannot take is destroyed with the reason (APP_NOT_FOUND, PERMISSION_DENIED for
   * an undeclared service, PLUGIN_CLOSED when the plugin is not running) and the refusal logged.
   *
   * How a taken stream ends: cleanly (end()) when the plugin closes it or the app stops; but
   * when the plugin crashes (trap, deadline, memory) every one of its streams is destroyed with
   * the crash's HypernetError, so the remote sees the connection fail (a reset), never a
   * clean end that could pass for a complete reply.
   */
  handleConnection(name: string, service: string, stream: DuplexLike): void {
    const sup = this.closing ? undefined : this.apps.get(name)
    let refusal: HypernetError | null = null
    if (this.closing) refusal = HypernetError.PLUGIN_CLOSED(name)
    else if (sup === undefined) refusal = HypernetError.APP_NOT_FOUND(name)
    else if (!sup.services.has(service)) refusal = HypernetError.PERMISSION_DENIED(name, `an inbound connection to undeclared service ${JSON.stringify(service)}`)
    if (refusal) {
      this.log({ level: 'warn', app: name, kind: refusal.code === 'PERMISSION_DENIED' ? 'denied' : 'host', msg: `refused a connection: ${refusal.message}`, code: refusal.code, time: Date.now() })
      stream.on('error', () => {}) // the refusal itself is the error; nobody else listens yet
      stream.destroy(refusal)
      return
    }
    sup!.accept(service, stream)
  }

  /** @throws APP_NOT_FOUND */
  status(name: string): PluginStatus {
    return this.get(name).status()
  }

  list(): PluginStatus[] {
    return [...this.apps.values()].map((s) => s.status())
  }

  /** Stop every app (newest first), connections seeing SHUTDOWN. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      for (const sup of [...this.apps.values()].reverse()) await sup.stop()
    })()
    return this.closing
  }

  private get(name: string): PluginSupervisor {
    const sup = this.apps.get(name)
    if (sup === undefined) throw HypernetError.APP_NOT_FOUND(name)
    return sup
  }

  private log(entry: RuntimeLogEntry): void {
    try {
      this.components.logger?.(entry)
    } catch {
      // a broken logger must not take the runtime down
    }
    this.emit('log', entry)
  }
}

/**
 * Create a plugin runtime (libp2p's factory shape). Call ready() (or just add()) before use
 * and close() when done.
 */
export function createPluginRuntime(components: PluginRuntimeComponents = {}, init: PluginRuntimeInit = {}): PluginRuntime {
  return new PluginRuntime(components, init)
}
