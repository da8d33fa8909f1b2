import type DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import Protomux from 'protomux'
import type { ProtomuxMessage } from 'protomux'
import { APPS_PROTOCOL, APPS_REFUSAL, SERVING } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { formatId } from '../encoding/ids.ts'
import { appsCode, appsGetCode, appsGetManifest, appsManifest, appsRefused } from '../messages.ts'
import type { AppsCodeWire, AppsGetCodeWire, AppsGetManifestWire, AppsManifestWire, AppsRefusedWire } from '../messages.ts'

/**
 * The requesting side of the apps protocol: one connection to a vendor's host key, one protomux
 * channel, requests by id. Everything a vendor sends is checked against what was asked: an
 * answer to no request, a chunk out of order or past the range asked for, is a protocol error
 * that ends the session (BAD_MESSAGE), so a vendor can never make us take more bytes than we
 * asked for. A request with no progress for `requestTimeoutMs` fails with TIMEOUT.
 */

type RefusalCode = 'NOT_SERVED' | 'SERVING_DISABLED' | 'NOT_REDISTRIBUTABLE' | 'SERVING_BUSY' | 'SERVING_TOO_LARGE' | 'BAD_MESSAGE'

const CODE_OF: Record<number, RefusalCode> = {
  [APPS_REFUSAL.NOT_SERVED]: 'NOT_SERVED',
  [APPS_REFUSAL.SERVING_DISABLED]: 'SERVING_DISABLED',
  [APPS_REFUSAL.NOT_REDISTRIBUTABLE]: 'NOT_REDISTRIBUTABLE',
  [APPS_REFUSAL.SERVING_BUSY]: 'SERVING_BUSY',
  [APPS_REFUSAL.SERVING_TOO_LARGE]: 'SERVING_TOO_LARGE',
  [APPS_REFUSAL.BAD_REQUEST]: 'BAD_MESSAGE'
}

/** The slowest a vendor may send a code range, in bytes per second, before it is given up on. */
const MIN_RATE = 64 * 1024

interface Pending {
  kind: 'manifest' | 'code'
  /** code: the whole range's deadline in ms, never extended by chunks. */
  deadline?: number
  resolve(v: unknown): void
  reject(err: Error): void
  timer: NodeJS.Timeout
  /** code: where the next chunk must start, where the range ends, and where it goes. */
  next?: number
  end?: number
  onChunk?: (offset: number, data: Uint8Array) => void
}

export interface VendorManifest {
  /** The manifest JSON as the vendor sent it, parsed but not yet checked. */
  value: unknown
  /** The module's size the vendor claims. */
  size: number
}

export interface SessionOptions {
  timeoutMs?: number
}

export class AppsSession {
  readonly vendor: string
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private failure: Error | null = null
  private readonly timeoutMs: number
  private closing: Promise<void> | null = null
  private getManifestMsg!: ProtomuxMessage<AppsGetManifestWire>
  private getCodeMsg!: ProtomuxMessage<AppsGetCodeWire>

  private constructor(
    private readonly stream: SecretStream,
    opts: SessionOptions
  ) {
    this.vendor = formatId(stream.remotePublicKey)
    this.timeoutMs = opts.timeoutMs ?? SERVING.requestTimeoutMs
  }

  /**
   * Connect to a vendor's host key and open the apps channel.
   * @throws CONNECTION_FAILED, NOT_SERVED when the host does not speak the protocol, TIMEOUT
   */
  static async open(dht: DHT, hostKey: Buffer, opts: SessionOptions = {}): Promise<AppsSession> {
    const timeoutMs = opts.timeoutMs ?? SERVING.requestTimeoutMs
    const stream = dht.connect(hostKey)
    stream.on('error', () => {})
    const session = new AppsSession(stream, opts)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(HypernetError.TIMEOUT(`vendor ${formatId(hostKey)} did not open the ${APPS_PROTOCOL} channel within ${timeoutMs} ms`)),
        timeoutMs
      )
      const fail = (err: Error) => {
        clearTimeout(timer)
        stream.destroy()
        reject(err)
      }
      stream.once('error', (err: Error) => fail(HypernetError.CONNECTION_FAILED(`could not reach vendor ${formatId(hostKey)}: ${err.message}`, err)))
      stream.once('close', () => fail(HypernetError.CONNECTION_FAILED(`vendor ${formatId(hostKey)} closed the connection`)))
      session.attach(
        () => {
          clearTimeout(timer)
          resolve()
        },
        () => fail(HypernetError.REFUSED('NOT_SERVED', `host ${formatId(hostKey)} does not speak ${APPS_PROTOCOL}`))
      )
    })
    stream.on('close', () => session.fail(HypernetError.CONNECTION_FAILED(`vendor ${session.vendor} closed the connection`)))
    return session
  }

  private attach(onopen: () => void, onreject: () => void): void {
    let opened = false
    const mux = Protomux.from(this.stream)
    const channel = mux.createChannel({
      protocol: APPS_PROTOCOL,
      onopen: () => {
        opened = true
        onopen()
      },
      onclose: () => {
        if (!opened) onreject()
        this.fail(HypernetError.CONNECTION_FAILED(`vendor ${this.vendor} closed the ${APPS_PROTOCOL} channel`))
      }
    })
    if (!channel) return onreject()
    // wire types in order (APPS_MESSAGES): append only
    this.getManifestMsg = channel.addMessage<AppsGetManifestWire>({ encoding: appsGetManifest, onmessage: () => this.violation('a request') })
    channel.addMessage<AppsManifestWire>({ encoding: appsManifest, onmessage: (m) => this.onManifest(m) })
    this.getCodeMsg = channel.addMessage<AppsGetCodeWire>({ encoding: appsGetCode, onmessage: () => this.violation('a request') })
    channel.addMessage<AppsCodeWire>({ encoding: appsCode, onmessage: (m) => this.onCode(m) })
    channel.addMessage<AppsRefusedWire>({ encoding: appsRefused, onmessage: (m) => this.onRefused(m) })
    channel.open()
  }

  /**
   * The vendor's signed manifest for `codeHash` (unchecked: the caller audits it) and the size it claims.
   * @throws a refusal code (NOT_SERVED, SERVING_DISABLED, NOT_REDISTRIBUTABLE, ...), BAD_MESSAGE, TIMEOUT, CONNECTION_FAILED
   */
  async getManifest(codeHash: Buffer): Promise<VendorManifest> {
    const m = (await this.request('manifest', (id) => this.getManifestMsg.send({ id, codeHash }))) as AppsManifestWire
    let value: unknown
    try {
      value = JSON.parse(Buffer.from(m.manifest).toString('utf8'))
    } catch {
      throw HypernetError.BAD_MESSAGE(`vendor ${this.vendor} sent a manifest that is not JSON`)
    }
    return { value, size: m.size }
  }

  /**
   * Fetch `length` bytes of the module from `offset`; chunks go to `onChunk` as they arrive. The
   * whole range has a deadline (the request timeout plus the range at MIN_RATE), so a vendor
   * that trickles bytes cannot hold a fetch open forever.
   * @throws a refusal code, BAD_MESSAGE, TIMEOUT, CONNECTION_FAILED
   */
  async getCode(codeHash: Buffer, offset: number, length: number, onChunk: (offset: number, data: Uint8Array) => void): Promise<void> {
    const deadline = this.timeoutMs + Math.ceil((length / MIN_RATE) * 1000)
    await this.request('code', (id) => this.getCodeMsg.send({ id, codeHash, offset, length }), { next: offset, end: offset + length, onChunk, deadline })
  }

  /** True once the session failed or was closed: open a new one to go on. */
  get failed(): boolean {
    return this.failure !== null
  }

  /** Close the connection; pending requests fail. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.fail(HypernetError.CONNECTION_FAILED('session closed'))
      if (this.stream.destroyed) return
      const closed = new Promise<void>((resolve) => this.stream.once('close', () => resolve()))
      this.stream.destroy()
      await closed
    })()
    return this.closing
  }

  private request(kind: Pending['kind'], send: (id: number) => void, extra: Partial<Pending> = {}): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const p: Pending = { kind, resolve, reject, timer: this.timer(id, extra.deadline), ...extra }
      this.pending.set(id, p)
      send(id)
    })
  }

  private timer(id: number, deadline?: number): NodeJS.Timeout {
    const ms = deadline ?? this.timeoutMs
    const why = deadline ? `vendor ${this.vendor} did not send the range within ${ms} ms` : `vendor ${this.vendor} sent nothing for ${ms} ms`
    return setTimeout(() => this.settle(id, HypernetError.TIMEOUT(why)), ms)
  }

  private settle(id: number, err: Error | null, value?: unknown): void {
    const p = this.pending.get(id)
    if (!p) return
    clearTimeout(p.timer)
    this.pending.delete(id)
    if (err) p.reject(err)
    else p.resolve(value)
  }

  private onManifest(m: AppsManifestWire): void {
    const p = this.pending.get(m.id)
    if (!p || p.kind !== 'manifest') return this.violation(`a manifest for request ${m.id}, which asked for none`)
    this.settle(m.id, null, m)
  }

  private onCode(m: AppsCodeWire): void {
    const p = this.pending.get(m.id)
    if (!p || p.kind !== 'code') return this.violation(`code for request ${m.id}, which asked for none`)
    if (m.offset !== p.next || m.data.byteLength === 0 || p.next! + m.data.byteLength > p.end!) {
      return this.violation(`bytes ${m.offset}+${m.data.byteLength} where ${p.next}..${p.end} was asked for`)
    }
    p.onChunk!(m.offset, m.data)
    p.next! += m.data.byteLength
    if (p.next === p.end) this.settle(m.id, null)
  }

  private onRefused(m: AppsRefusedWire): void {
    if (!this.pending.has(m.id)) return this.violation(`a refusal of request ${m.id}, which is not open`)
    const code = CODE_OF[m.reason] ?? 'NOT_SERVED'
    this.settle(
      m.id,
      HypernetError.REFUSED(code, `vendor ${this.vendor} refused: ${m.message.replace(/[\x00-\x1f\x7f]/g, '?')}`, { vendor: this.vendor, reason: m.reason })
    )
  }

  private violation(what: string): void {
    this.fail(HypernetError.BAD_MESSAGE(`vendor ${this.vendor} broke the ${APPS_PROTOCOL} protocol: it sent ${what}`))
    this.stream.destroy()
  }

  private fail(err: Error): void {
    if (!this.failure) this.failure = err
    for (const id of [...this.pending.keys()]) this.settle(id, this.failure)
  }
}
