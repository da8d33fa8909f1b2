import { randomFillSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { CLOSE_REASON, RC } from '../../host/abi.ts'

/**
 * A host in miniature for testing plugins built with the SDK: it implements ABI v1's host
 * functions over plain WebAssembly (no Extism, no network) and records what the plugin did.
 * Each test drives events by hand (open, data, drain, close, timers), so backpressure and
 * ordering can be checked exactly. It is not the runtime: no deadlines, no grants beyond
 * the switches below.
 */

// the host's own tables, so the fake cannot drift from the runtime (abi-parity.test.ts pins the SDK to them)
export const EINVAL: number = RC.EINVAL
export const EDENIED: number = RC.EDENIED
export const EBADCONN: number = RC.EBADCONN
export const EAGAIN: number = RC.EAGAIN
export const ENOTFOUND: number = RC.ENOTFOUND

export const END: number = CLOSE_REASON.END
export const ERROR: number = CLOSE_REASON.ERROR
export const REFUSED: number = CLOSE_REASON.REFUSED

export interface FakeHostOptions {
  /** Bytes in flight per connection before hn_send answers EAGAIN (the ABI says 1 MiB). */
  window?: number
  /** Storage to use; pass one host's `store` to the next to model a restart. */
  store?: Map<string, Buffer>
  /** Permissions: all granted unless set to false. */
  dial?: boolean
  mesh?: boolean
  storage?: boolean
  timers?: boolean
}

interface Exports {
  memory: WebAssembly.Memory
  hn_abi_version(): number
  hn_buffer(len: number): number
  hn_on_start(): number
  hn_on_open(conn: number, kind: number, len: number): number
  hn_on_data(conn: number, len: number): number
  hn_on_close(conn: number, reason: number): number
  hn_on_drain(conn: number): number
  hn_on_timer(id: number): number
}

export class FakeHost {
  readonly logs: Array<{ level: number; text: string }> = []
  readonly store: Map<string, Buffer>
  /** Bytes hn_send accepted, per connection, in order. */
  readonly sent = new Map<number, Buffer[]>()
  readonly inFlight = new Map<number, number>()
  readonly paused = new Map<number, boolean>()
  readonly closedByPlugin = new Set<number>()
  readonly timers = new Map<number, { ms: number; repeat: boolean }>()
  readonly dials: Array<{ conn: number; target: string }> = []
  /** Meshes the plugin joined (hn_mesh_join), by target, with the id returned. */
  readonly meshes = new Map<string, number>()
  readonly exports: Exports
  private readonly window: number
  private readonly waiting = new Set<number>()
  private nextId = 1000

  private constructor(
    module: WebAssembly.Module,
    private readonly opts: FakeHostOptions
  ) {
    this.window = opts.window ?? 1024 * 1024
    this.store = opts.store ?? new Map()
    const instance = new WebAssembly.Instance(module, { 'extism:host/user': this.imports() })
    this.exports = instance.exports as unknown as Exports
  }

  /** Instantiate a built plugin. */
  static async load(file: string, opts: FakeHostOptions = {}): Promise<FakeHost> {
    return FakeHost.fromBytes(await readFile(file), opts)
  }

  static fromBytes(bytes: Uint8Array, opts: FakeHostOptions = {}): FakeHost {
    return new FakeHost(new WebAssembly.Module(new Uint8Array(bytes)), opts)
  }

  start(): number {
    return this.exports.hn_on_start()
  }

  /** A connection opened: kind 0 inbound on `service`, kind 1 an outbound dial completed, kind 2 a mesh peer (`service` is the joined target). */
  open(conn: number, peer: Uint8Array, service: string, kind = 0): number {
    const info = Buffer.concat([peer, Buffer.from(service)])
    return this.exports.hn_on_open(conn, kind, this.deliver(info))
  }

  data(conn: number, bytes: Uint8Array | string): number {
    return this.exports.hn_on_data(conn, this.deliver(typeof bytes === 'string' ? Buffer.from(bytes) : bytes))
  }

  close(conn: number, reason = END): number {
    return this.exports.hn_on_close(conn, reason)
  }

  /** The peer read everything: empty the window and, if the plugin met EAGAIN, say so. */
  drain(conn: number): number {
    this.inFlight.set(conn, 0)
    if (!this.waiting.delete(conn)) return 0
    return this.exports.hn_on_drain(conn)
  }

  fire(id: number): number {
    const t = this.timers.get(id)
    if (t === undefined) throw new Error(`no timer ${id}`)
    if (!t.repeat) this.timers.delete(id)
    return this.exports.hn_on_timer(id)
  }

  /** Everything the plugin sent on `conn`, and forget it. */
  take(conn: number): Buffer {
    const out = Buffer.concat(this.sent.get(conn) ?? [])
    this.sent.delete(conn)
    return out
  }

  private deliver(bytes: Uint8Array): number {
    const ptr = this.exports.hn_buffer(bytes.length) >>> 0
    if (ptr === 0) throw new Error(`hn_buffer(${bytes.length}) returned 0`)
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes)
    return bytes.length
  }

  private bytes(ptr: number, len: number): Buffer {
    return Buffer.from(new Uint8Array(this.exports.memory.buffer, ptr >>> 0, len))
  }

  private imports(): Record<string, (...args: number[]) => number> {
    return {
      hn_send: (conn, ptr, len) => {
        if (this.closedByPlugin.has(conn)) return -8
        const inFlight = this.inFlight.get(conn) ?? 0
        if (inFlight >= this.window) {
          this.waiting.add(conn)
          return EAGAIN
        }
        const list = this.sent.get(conn) ?? []
        list.push(this.bytes(ptr, len))
        this.sent.set(conn, list)
        this.inFlight.set(conn, inFlight + len)
        return len
      },
      hn_close: (conn) => {
        this.closedByPlugin.add(conn)
        return 0
      },
      hn_pause: (conn, paused) => {
        this.paused.set(conn, paused === 1)
        return 0
      },
      hn_connect: (ptr, len) => {
        if (this.opts.dial === false) return EDENIED
        const conn = this.nextId++
        this.dials.push({ conn, target: this.bytes(ptr, len).toString() })
        return conn
      },
      hn_mesh_join: (ptr, len) => {
        if (this.opts.mesh === false) return EDENIED
        const target = this.bytes(ptr, len).toString()
        if (!this.meshes.has(target)) this.meshes.set(target, this.meshes.size + 1)
        return this.meshes.get(target)!
      },
      hn_mesh_leave: (ptr, len) => (this.meshes.delete(this.bytes(ptr, len).toString()) ? 0 : ENOTFOUND),
      hn_timer_set: (ms, repeat) => {
        if (this.opts.timers === false) return EDENIED
        const id = this.nextId++
        this.timers.set(id, { ms, repeat: repeat === 1 })
        return id
      },
      hn_timer_clear: (id) => (this.timers.delete(id) ? 0 : EINVAL),
      hn_store_get: (kptr, klen, vptr, vcap) => {
        if (this.opts.storage === false) return EDENIED
        const value = this.store.get(this.bytes(kptr, klen).toString('hex'))
        if (value === undefined) return ENOTFOUND
        if (value.length <= vcap) new Uint8Array(this.exports.memory.buffer, vptr >>> 0, value.length).set(value)
        return value.length
      },
      hn_store_put: (kptr, klen, vptr, vlen) => {
        if (this.opts.storage === false) return EDENIED
        this.store.set(this.bytes(kptr, klen).toString('hex'), this.bytes(vptr, vlen))
        return 0
      },
      hn_store_delete: (kptr, klen) => {
        if (this.opts.storage === false) return EDENIED
        return this.store.delete(this.bytes(kptr, klen).toString('hex')) ? 0 : ENOTFOUND
      },
      hn_log: (level, ptr, len) => {
        this.logs.push({ level, text: this.bytes(ptr, len).toString() })
        return 0
      },
      hn_now_ms: () => Date.now(),
      hn_random: (ptr, len) => {
        randomFillSync(new Uint8Array(this.exports.memory.buffer, ptr >>> 0, len))
        return 0
      }
    }
  }
}

/** A 32-byte public key made of one repeated byte, for telling peers apart. */
export function peerKey(fill: number): Buffer {
  return Buffer.alloc(32, fill)
}
