import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { EXTISM_ENV_MODULE, HOST_MODULE, OPEN_KIND } from '../../abi.ts'
import { checkImportsExports } from '../../audit/index.ts'
import { ABI_VERSIONS } from '../../constants.ts'
import { HypernetError } from '../../errors.ts'
import type { Manifest } from '../../manifest/index.ts'
import { readMemoryLimits } from '../../manifest/index.ts'
import { createDialGrants } from '../dial-grants.ts'
import { createMeshGrants } from '../mesh-grants.ts'
import { WorkerMeshes } from './worker-meshes.ts'
import { appDirName, openKvStore } from '../kv-store.ts'
import type { KvStore } from '../kv-store.ts'
import { Outbox } from '../outbox.ts'
import { RUNTIME_LIMITS } from '../plugin-limits.ts'
import { FROM_WORKER, RING, TO_WORKER } from '../protocol.ts'
import type { WorkerInit } from '../protocol.ts'
import { openRings, wakeHost } from '../ring-pair.ts'
import { CallStamp, Guest, GuestTrap } from './guest.ts'
import { createHostFunctions } from './host-functions.ts'
import { WorkerConns } from './worker-conns.ts'
import { LineBudget } from '../line-budget.ts'
import { WorkerTimers } from './worker-timers.ts'
import { WorkerLoop } from './worker-loop.ts'

/**
 * A plugin's worker: one plugin, one thread, its module instantiated here (see instantiate()).
 * Runs as plain JS without tsx: bundled into dist/plugin-worker.js by the build, or on the fly
 * by worker-source.ts when the host runs from source.
 *
 * Start: compile, check imports and exports against ABI v1, instantiate with the host
 * functions, check hn_abi_version, run hn_on_start, then say READY. Any failure or
 * trap says FATAL with a HypernetError code and stops handling messages; the host thread
 * terminates the worker. A call that never returns is the host thread's deadline's business.
 */

const init = workerData as WorkerInit
const port = parentPort!
const rings = openRings(init.ring, 'worker')
// an ACK only matters to the host thread while it holds a stream paused for its window
const out = new Outbox(
  rings.fromWorker,
  (op) => op !== FROM_WORKER.ACK || Atomics.load(rings.ctrl, RING.wantAcks) === 1,
  () => wakeHost(rings.ctrl)
)
const stamp = new CallStamp(init.stamp)
let guest: Guest | null = null
let dead = false

const conns = new WorkerConns(() => guest!, out, init.quotas, (ms) => {
  setTimeout(() => {
    conns.woke()
    run(() => {})
  }, ms)
})
const timers = init.timers ? new WorkerTimers((id) => run(() => guest!.call('hn_on_timer', id) !== 0 && out.push(FROM_WORKER.EVENT_ERROR, -1, `hn_on_timer(${id})`))) : null

function fatal(err: HypernetError): void {
  if (dead) return
  dead = true
  timers?.clearAll()
  out.clear()
  const wire = { code: err.code, message: err.message, details: err.details }
  out.push(FROM_WORKER.FATAL, 0, wire)
  // the ring is full: say it by message (the host thread reads the ring first)
  if (!out.flush()) port.postMessage([FROM_WORKER.FATAL, 0, wire])
}

/** Run `fn` (which may call the plugin), then deliver what it made ready and wake the host thread if needed. */
function run(fn: () => unknown): void {
  if (dead) return
  try {
    fn()
    conns.pump()
  } catch (err) {
    if (err instanceof GuestTrap) return fatal(HypernetError.PLUGIN_CRASHED(init.app, err.message))
    return fatal(HypernetError.INTERNAL(`${init.app}: host error in the plugin worker: ${(err as Error)?.stack ?? err}`))
  }
  out.flush()
}

/** One op from the host thread's ring (its bytes are a view into the ring, valid during this call). */
let dataBytes = 0

function onOp(op: number, conn: number, _kind: number, num: number, bytes: Uint8Array | null): void {
  if (dead) return
  switch (op) {
    case TO_WORKER.DATA:
      dataBytes += bytes!.byteLength
      conns.data(conn, bytes!)
      break
    case TO_WORKER.CREDIT: conns.credit(conn, num); break
    case TO_WORKER.OPEN_INBOUND: conns.opened(conn, OPEN_KIND.INBOUND, bytes!); break
    case TO_WORKER.OPEN_OUTBOUND: conns.opened(conn, OPEN_KIND.OUTBOUND, bytes!); break
    case TO_WORKER.OPEN_MESH: conns.opened(conn, OPEN_KIND.MESH, bytes!); break
    case TO_WORKER.CLOSE: conns.closed(conn, num); break
    case TO_WORKER.STOP:
      conns.shutdown()
      timers?.clearAll()
      out.push(FROM_WORKER.STOPPED, 0, 0)
      break
  }
}

const loop = new WorkerLoop({
  ctrl: rings.ctrl,
  inbound: rings.toWorker,
  step: () => {
    let n = 0
    run(() => (n = rings.toWorker.read(onOp)))
    if (rings.toWorker.takeFull()) wakeHost(rings.ctrl)
    return n > 0
  },
  flush: () => void out.flush(),
  dataBytes: () => dataBytes,
  wantsCredit: () => conns.starved,
  dead: () => dead
})

/** The host thread's doorbell: ops wait in the ring and this worker had gone idle. */
function onBatch(): void {
  loop.wake()
}

async function start(): Promise<void> {
  let module: WebAssembly.Module
  try {
    module = await WebAssembly.compile(init.wasm as Uint8Array<ArrayBuffer>)
  } catch (err) {
    const why = (err as Error).message.replace(/^WebAssembly\.compile\(\): /, '')
    return fatal(HypernetError.WASM_INVALID(init.app, `not a valid WebAssembly module (truncated or corrupt): ${why}`))
  }
  const facts = { imports: WebAssembly.Module.imports(module), exports: WebAssembly.Module.exports(module), memory: readMemoryLimits(init.wasm) }
  const problem = checkImportsExports(facts, init.manifest as Manifest).find((c) => c.error)?.error
  if (problem) return fatal(problem)

  let kv: KvStore | null = null
  if (init.storage) {
    try {
      kv = openKvStore(join(init.storage.dir, appDirName(init.app)), init.storage.quotaBytes)
    } catch (err) {
      return fatal(HypernetError.INTERNAL(`${init.app}: cannot open its storage in ${init.storage.dir}: ${(err as Error).message}`))
    }
  }
  const functions = createHostFunctions({
    guest: () => guest!,
    conns,
    grants: createDialGrants(init.manifest, init.codeHash),
    meshes: (denied) => new WorkerMeshes(createMeshGrants(init.manifest, init.codeHash), out, denied),
    kv,
    timers,
    out,
    lines: new LineBudget(RUNTIME_LIMITS.logLinesPerSecond)
  })
  // Plugin code that runs while the module instantiates (a start function, AssemblyScript's
  // top-level statements) has no Guest yet to answer a host function: refuse any such call
  // with a clear error rather than fail inside one.
  let topLevelCall: string | null = null
  const guarded: typeof functions = {}
  for (const [name, fn] of Object.entries(functions)) {
    guarded[name] = (a, b, c, d) => {
      if (guest === null) {
        topLevelCall ??= name
        throw new Error(`${name} called during instantiation`)
      }
      return fn(a, b, c, d)
    }
  }
  stamp.begin('instantiation') // a start function runs plugin code, so it is under the deadline
  try {
    guest = new Guest(await instantiate(module, facts.imports, guarded), stamp)
  } catch (err) {
    if (topLevelCall !== null) {
      return fatal(
        HypernetError.PLUGIN_FAILED(
          init.app,
          `called ${topLevelCall} from top-level code (while the module was instantiating, before hn_on_start); host functions work only from an event: call it from hn_on_start or a later event`
        )
      )
    }
    return fatal(HypernetError.PLUGIN_CRASHED(init.app, `trapped or failed while instantiating: ${(err as Error).message}`))
  } finally {
    stamp.end()
  }

  run(() => {
    const version = guest!.call('hn_abi_version')
    if (!(ABI_VERSIONS as readonly number[]).includes(version)) {
      return fatal(HypernetError.ABI_UNSUPPORTED(version, [...ABI_VERSIONS]))
    }
    const rc = guest!.call('hn_on_start')
    if (rc !== 0) return fatal(HypernetError.PLUGIN_CRASHED(init.app, `hn_on_start returned ${rc} (expected 0): the plugin failed to start`))
    out.push(FROM_WORKER.READY, 0, 0)
  })
  if (!dead) port.on('message', onBatch)
}

type HostFns = ReturnType<typeof createHostFunctions>

/**
 * The plugin's instance. A module that imports only ABI v1 host functions (every Hypernet
 * plugin the SDKs build) is instantiated directly: Extism's kernel and its first plugin cost
 * ~4 MB of each worker for nothing such a module uses (NOTES.md, issue 16 row 6). A module
 * that imports Extism's own kernel functions (an Extism PDK plugin: input, output, vars, logs)
 * goes through Extism, loaded only then. Either way the module's start hooks run as Extism
 * runs them (hs_init, a reactor's _initialize, a command's _start).
 */
async function instantiate(module: WebAssembly.Module, imports: WebAssembly.ModuleImportDescriptor[], fns: HostFns): Promise<WebAssembly.Instance> {
  if (imports.some((i) => i.module === EXTISM_ENV_MODULE)) {
    const { createPlugin } = await import('@extism/extism')
    // Extism passes its call context first; the host functions do not need it
    const withContext: Record<string, (ctx: unknown, ...args: number[]) => number> = {}
    for (const [name, fn] of Object.entries(fns)) withContext[name] = (_ctx, a, b, c, d) => fn(a, b, c, d)
    const plugin = await createPlugin({ wasm: [{ module }] }, {
      runInWorker: false,
      useWasi: false,
      logLevel: 'silent',
      functions: { [HOST_MODULE]: withContext },
      // only Extism's own kernel buffers; the plugin's memory is capped in its module
      memory: { maxPages: 16 }
    })
    return plugin.getInstance()
  }
  const instance = await WebAssembly.instantiate(module, { [HOST_MODULE]: fns })
  const x = instance.exports as Record<string, unknown>
  const call = (name: string): void => void (x[name] as () => void)()
  if (typeof x.hs_init === 'function') call('hs_init')
  else if (typeof x._initialize === 'function') call('_initialize')
  else if (typeof x._start === 'function') call('_start')
  return instance
}

start().then(
  () => dead || loop.wake(),
  (err) => fatal(HypernetError.INTERNAL(`${init.app}: ${(err as Error)?.stack ?? err}`))
)
