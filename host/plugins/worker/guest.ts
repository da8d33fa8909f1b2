import { EXPORT_NAMES, STAMP } from '../protocol.ts'
import type { ExportName } from '../protocol.ts'

/**
 * The plugin's raw exports, called directly on the instance (never through Extism's
 * `plugin.call`, whose input path goes byte by byte). Every call is stamped in shared memory
 * so the host thread can enforce the deadline; bytes go in by one copy into the buffer the
 * plugin's `hn_buffer` returns.
 */

type Fn = (...args: number[]) => number

/** A trap (or any throw) inside a plugin export; the plugin is unusable afterwards. */
export class GuestTrap extends Error {
  constructor(readonly exportName: ExportName, cause: unknown) {
    super(`trapped in ${exportName}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

/** Stamps call start and end where the host thread can see them. */
export class CallStamp {
  private readonly start: Float64Array
  private readonly which: Int32Array

  constructor(sab: SharedArrayBuffer) {
    this.start = new Float64Array(sab, 0, 1)
    this.which = new Int32Array(sab, 0, STAMP.bytes / 4)
  }

  begin(name: ExportName): void {
    this.which[STAMP.exportI32] = EXPORT_NAMES.indexOf(name)
    this.start[STAMP.startF64] = performance.timeOrigin + performance.now()
  }

  end(): void {
    this.start[STAMP.startF64] = 0
  }
}

export class Guest {
  readonly memory: WebAssembly.Memory
  private readonly fns: Record<string, Fn | undefined>
  private bytes: Uint8Array

  constructor(instance: WebAssembly.Instance, private readonly stamp: CallStamp) {
    this.memory = instance.exports.memory as WebAssembly.Memory
    this.fns = instance.exports as Record<string, Fn | undefined>
    this.bytes = new Uint8Array(this.memory.buffer)
  }

  has(name: ExportName): boolean {
    return typeof this.fns[name] === 'function'
  }

  /** Call a no-byte export. Throws GuestTrap. */
  call(name: ExportName, a?: number, b?: number): number {
    const fn = this.fns[name]
    if (fn === undefined) return 0
    this.stamp.begin(name)
    try {
      return a === undefined ? fn() : b === undefined ? fn(a) : fn(a, b)
    } catch (err) {
      throw new GuestTrap(name, err)
    } finally {
      this.stamp.end()
    }
  }

  /** hn_on_open(conn, kind, len) with `payload` in the plugin's buffer. Throws GuestTrap. */
  open(conn: number, kind: number, payload: Uint8Array): number {
    this.copyIn(payload)
    return this.callWithLen('hn_on_open', conn, kind, payload.byteLength)
  }

  /** hn_on_data(conn, len) with `payload` in the plugin's buffer. Throws GuestTrap. */
  data(conn: number, payload: Uint8Array): number {
    this.copyIn(payload)
    return this.callWithLen('hn_on_data', conn, payload.byteLength)
  }

  /** A view of plugin memory, or null when [ptr, ptr+len) is outside it. Valid until the plugin runs again. */
  view(ptr: number, len: number): Uint8Array | null {
    ptr >>>= 0
    if (len < 0) return null
    const mem = this.current()
    if (ptr + len > mem.byteLength) return null
    return mem.subarray(ptr, ptr + len)
  }

  private copyIn(payload: Uint8Array): void {
    const len = payload.byteLength
    const ptr = this.call('hn_buffer', len) >>> 0
    const mem = this.current()
    if (ptr === 0 || ptr + len > mem.byteLength) {
      throw new GuestTrap('hn_buffer', new Error(ptr === 0 ? `could not allocate ${len} bytes (returned 0)` : `returned ${ptr}, outside memory for ${len} bytes`))
    }
    mem.set(payload, ptr)
  }

  private callWithLen(name: ExportName, a: number, b: number, c?: number): number {
    const fn = this.fns[name]
    if (fn === undefined) return 0
    this.stamp.begin(name)
    try {
      return c === undefined ? fn(a, b) : fn(a, b, c)
    } catch (err) {
      throw new GuestTrap(name, err)
    } finally {
      this.stamp.end()
    }
  }

  /** The memory as bytes; a grow replaces the buffer, so re-take it when it changed. */
  private current(): Uint8Array {
    if (this.bytes.buffer !== this.memory.buffer) this.bytes = new Uint8Array(this.memory.buffer)
    return this.bytes
  }
}
