import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { listenHttp, urlHost } from '../util/http-listen.ts'
import type { Logger } from '../log/index.ts'
import { packageFile } from '../util/package-root.ts'
import type { WebAddress } from './web-address.ts'
import { ConnectionMeter, totalsOf } from './web-connections.ts'
import type { WebSnapshot } from './web-connections.ts'
import { allowedHosts, refusal } from './web-guard.ts'
import { HISTORY_SAMPLE_MS, WebHistory } from './web-history.ts'
import { loadOrCreateWebToken } from './web-token.ts'

/**
 * The live web page (`start --web`): static files from the package's web/ folder, and an API
 * behind the token (web-guard.ts). `GET /api/status` answers what `status --json` shows;
 * `GET /api/events` is a server-sent event stream: `status` (the snapshot and the live connections
 * with their throughput) every tick when it changed, `history` (the graphs' samples so far) on
 * connect, then `sample` (one more) at every sample. The page reads the stream with fetch(), not EventSource, which cannot send
 * the Authorization header. docs/monitor.md.
 */

export interface WebComponents {
  /** The host's status (HostStatus): sent as is, read for connections and totals. */
  status(): WebSnapshot
  log: Logger
}

export interface WebInit {
  address: WebAddress
  /** The token file (`<home>/web-token`), made on first use. */
  tokenFile: string
  /** How often a status event may go out, in ms (default 1000). */
  tickMs?: number
  /** How often the graphs take a sample, in ms (default HISTORY_SAMPLE_MS). */
  sampleMs?: number
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' }
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

/** Event streams open at once; past this, 503 (each costs a status snapshot a second). */
const MAX_STREAMS = 16
/** A slow reader's queue past this is dropped (its page reconnects). */
const MAX_QUEUED = 1 << 20
/** With nothing new to send, a comment this often keeps the stream open through idle timeouts. */
const PING_MS = 15_000

export class WebServer {
  private readonly server: Server
  private readonly files = new Map<string, Buffer>()
  private readonly clients = new Set<ServerResponse>()
  private readonly history = new WebHistory()
  private readonly meter = new ConnectionMeter()
  private token = ''
  private hosts = new Set<string>()
  private lastSent = ''
  private lastSentAt = 0
  private tick: NodeJS.Timeout | null = null
  private sampler: NodeJS.Timeout | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(
    private readonly c: WebComponents,
    readonly init: WebInit
  ) {
    this.server = createServer((req, res) => {
      try {
        this.handle(req, res)
      } catch (err) {
        // a request must never take the daemon down
        this.c.log.warn('web request failed', { error: (err as Error).message })
        if (!res.headersSent) this.send(res, 500, 'text/plain; charset=utf-8', 'failed\n')
        else res.destroy()
      }
    })
  }

  /** Load (or make) the token, read the page's files, listen. @throws ADDRESS_IN_USE, KEY_EXPOSED or CONFIG_INVALID (the token file), or the listen error */
  ready(): Promise<void> {
    this.opening ??= (async () => {
      this.token = await loadOrCreateWebToken(this.init.tokenFile)
      for (const { file } of Object.values(STATIC)) this.files.set(file, await readFile(packageFile('web', file)))
      await listenHttp(this.server, this.init.address, '--web')
      if (this.closing) return
      this.hosts = allowedHosts(this.init.address.host, this.port)
      this.sample()
      this.sampler = setInterval(() => this.sample(), this.init.sampleMs ?? HISTORY_SAMPLE_MS).unref()
      this.c.log.info('web page served', { url: this.origin })
    })()
    return this.opening
  }

  /** The port bound (0 in the address picks a free one). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.init.address.port
  }

  /** `http://host:port`, no token. */
  get origin(): string {
    return `http://${urlHost(this.init.address.host)}:${this.port}`
  }

  /** The URL to open: the token in the fragment, which browsers never send to a server nor put in a Referer. */
  get url(): string {
    return `${this.origin}/#token=${this.token}`
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      if (this.tick) clearInterval(this.tick)
      if (this.sampler) clearInterval(this.sampler)
      for (const res of this.clients) res.end()
      this.clients.clear()
      if (!this.server.listening) return
      this.server.closeAllConnections()
      await new Promise<void>((resolve) => this.server.close(() => resolve()))
    })()
    return this.closing
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    const api = path.startsWith('/api/')
    const no = refusal(req.headers, this.hosts, api ? this.token : null)
    if (no) return void this.send(res, no.status, 'text/plain; charset=utf-8', `${no.why}\n`, no.status === 401 ? { 'www-authenticate': 'Bearer' } : {})
    if (req.method !== 'GET' && !(req.method === 'HEAD' && !api))
      return void this.send(res, 405, 'text/plain; charset=utf-8', 'only GET\n', { allow: api ? 'GET' : 'GET, HEAD' })
    const file = STATIC[path]
    if (file) return void this.send(res, 200, file.type, req.method === 'HEAD' ? '' : this.files.get(file.file)!)
    if (path === '/api/status') return void this.send(res, 200, 'application/json; charset=utf-8', JSON.stringify(this.c.status()))
    if (path === '/api/events') {
      if (this.clients.size >= MAX_STREAMS) return void this.send(res, 503, 'text/plain; charset=utf-8', `at most ${MAX_STREAMS} pages at once\n`)
      return this.subscribe(res)
    }
    if (path === '/favicon.ico') return void res.writeHead(204, HEADERS).end()
    this.send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
  }

  private send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...HEADERS, 'content-type': type, ...extra }).end(body)
  }

  private subscribe(res: ServerResponse): void {
    res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream; charset=utf-8' })
    res.write('retry: 2000\n\n')
    this.clients.add(res)
    res.on('close', () => {
      this.clients.delete(res)
      if (this.clients.size === 0 && this.tick) {
        clearInterval(this.tick)
        this.tick = null
      }
    })
    this.write(res, 'history', JSON.stringify(this.history.samples()))
    this.write(res, 'status', this.statusEvent())
    this.tick ??= setInterval(() => this.broadcast(), this.init.tickMs ?? 1000).unref()
  }

  private statusEvent(): string {
    const status = this.c.status()
    return JSON.stringify({ status, connections: this.meter.rows(status) })
  }

  private broadcast(): void {
    let data: string
    try {
      data = this.statusEvent()
    } catch (err) {
      this.c.log.warn('web status failed', { error: (err as Error).message })
      return
    }
    const now = Date.now()
    if (data === this.lastSent && now - this.lastSentAt < PING_MS) return
    for (const res of this.clients) {
      if (data === this.lastSent) res.write(': ping\n\n')
      else this.write(res, 'status', data)
    }
    this.lastSent = data
    this.lastSentAt = now
  }

  private sample(): void {
    try {
      const s = this.history.add(totalsOf(this.c.status()))
      for (const res of this.clients) this.write(res, 'sample', JSON.stringify(s))
    } catch (err) {
      this.c.log.warn('web history sample failed', { error: (err as Error).message })
    }
  }

  private write(res: ServerResponse, event: string, data: string): void {
    if (res.writableLength > MAX_QUEUED) return void res.destroy()
    res.write(`event: ${event}\ndata: ${data}\n\n`)
  }
}
