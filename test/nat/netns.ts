import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/**
 * A small internet on this machine, made of Linux network namespaces: one "public" segment (a
 * bridge in its own namespace) that public nodes join directly, and sites behind NAT routers.
 * A site is a router namespace (outside leg on the public segment, inside leg to the site) and
 * a host namespace behind it. Routers translate with MASQUERADE (a cone NAT: ports preserved
 * where they can be) or SNAT --random (a new port per destination), and drop new inbound
 * connections on their outside leg as home routers do (without that rule conntrack re-maps
 * ports and even cone x cone fails: NOTES.md). Veth pairs are made straight between
 * namespaces, so no interface ever appears in the machine's own namespace, and every address
 * lives only inside namespaces this file made; `destroy` removes them all.
 */

const run = promisify(execFile)

export const PUBLIC_NET = '10.201.0'

export interface Site {
  name: string
  kind: 'cone' | 'random'
  router: string
  host: string
  /** The router's public address. */
  publicIp: string
  hostIp: string
}

export interface PublicNode {
  name: string
  ns: string
  ip: string
}

/** Run a command; returns stdout. */
export async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args, { timeout: 120_000 })
  return stdout
}

/** Run a command inside a namespace. */
export function inNs(ns: string, cmd: string, args: string[]): Promise<string> {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args])
}

/** Why this machine cannot host the testbed, or null when it can. */
export async function unavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root (run as root, as CI does)'
  const probe = `hnprobe${process.pid}`
  try {
    await sh('ip', ['netns', 'add', probe])
  } catch (err) {
    return `ip netns is not available (${firstLine(err)})`
  } finally {
    await sh('ip', ['netns', 'del', probe]).catch(() => {})
  }
  return null
}

/** Install iptables and conntrack when missing (apt-get, no questions). Returns null or why it could not. */
export async function ensureTools(): Promise<string | null> {
  const missing = []
  for (const tool of ['iptables', 'conntrack']) {
    try {
      await sh('sh', ['-c', `command -v ${tool}`])
    } catch {
      missing.push(tool)
    }
  }
  if (missing.length === 0) return null
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    await run('apt-get', ['update', '-qq'], { timeout: 300_000, env })
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { timeout: 300_000, env })
  } catch (err) {
    return `could not install ${missing.join(' and ')} with apt-get (${firstLine(err)})`
  }
  return null
}

export class Internet {
  readonly namespaces: string[] = []
  readonly sites: Site[] = []
  readonly nodes: PublicNode[] = []
  private readonly pub: string
  private nextPublic = 2
  private nextSite = 1

  constructor(readonly prefix: string) {
    this.pub = `${prefix}-pub`
  }

  /** Make the public segment. */
  async create(): Promise<void> {
    await this.ns(this.pub)
    await inNs(this.pub, 'ip', ['link', 'add', 'br0', 'type', 'bridge'])
    await inNs(this.pub, 'ip', ['link', 'set', 'br0', 'up'])
  }

  /** A namespace on the public segment with its own address. */
  async addPublic(name: string): Promise<PublicNode> {
    const ns = `${this.prefix}-${name}`
    const ip = `${PUBLIC_NET}.${this.nextPublic++}`
    await this.ns(ns)
    await this.plug(ns, ip)
    const node = { name, ns, ip }
    this.nodes.push(node)
    return node
  }

  /** A site behind a NAT router of the given kind. */
  async addSite(name: string, kind: 'cone' | 'random'): Promise<Site> {
    const i = this.nextSite++
    const router = `${this.prefix}-${name}-r`
    const host = `${this.prefix}-${name}`
    const publicIp = `${PUBLIC_NET}.${100 + i}`
    const lan = `192.168.${200 + i}`
    await this.ns(router)
    await this.ns(host)
    await this.plug(router, publicIp)
    await sh('ip', ['-n', router, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host])
    await inNs(router, 'ip', ['addr', 'add', `${lan}.1/24`, 'dev', 'lan0'])
    await inNs(router, 'ip', ['link', 'set', 'lan0', 'up'])
    await inNs(host, 'ip', ['addr', 'add', `${lan}.2/24`, 'dev', 'eth0'])
    await inNs(host, 'ip', ['link', 'set', 'eth0', 'up'])
    await inNs(host, 'ip', ['route', 'add', 'default', 'via', `${lan}.1`])
    await inNs(router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'])
    const nat = kind === 'cone' ? ['-j', 'MASQUERADE'] : ['-j', 'SNAT', '--to-source', publicIp, '--random']
    await inNs(router, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth0', '-s', `${lan}.0/24`, ...nat])
    // as home routers do: nothing new comes in from outside
    await inNs(router, 'iptables', ['-A', 'FORWARD', '-i', 'eth0', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP'])
    await inNs(router, 'iptables', ['-A', 'INPUT', '-i', 'eth0', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP'])
    const site = { name, kind, router, host, publicIp, hostIp: `${lan}.2` }
    this.sites.push(site)
    return site
  }

  /** Remove every namespace made here (their interfaces go with them). Never throws. */
  async destroy(): Promise<void> {
    for (const ns of [...this.namespaces].reverse()) await sh('ip', ['netns', 'del', ns]).catch(() => {})
    this.namespaces.length = 0
  }

  private async ns(name: string): Promise<void> {
    await sh('ip', ['netns', 'add', name])
    this.namespaces.push(name)
    await inNs(name, 'ip', ['link', 'set', 'lo', 'up'])
  }

  /** Join namespace `ns` to the public segment as eth0 with address `ip`. */
  private async plug(ns: string, ip: string): Promise<void> {
    const port = `p${this.namespaces.length}x${Math.floor(Math.random() * 1e6)}`.slice(0, 15)
    await sh('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', this.pub])
    await inNs(this.pub, 'ip', ['link', 'set', port, 'master', 'br0'])
    await inNs(this.pub, 'ip', ['link', 'set', port, 'up'])
    await inNs(ns, 'ip', ['addr', 'add', `${ip}/24`, 'dev', 'eth0'])
    await inNs(ns, 'ip', ['link', 'set', 'eth0', 'up'])
  }
}

/** Remove namespaces left by a run that died before it could clean up (ours only: by prefix). */
export async function sweep(prefixStem: string): Promise<void> {
  const list = await sh('ip', ['netns', 'list']).catch(() => '')
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0]
    if (!name.startsWith(prefixStem)) continue
    const pid = Number(name.slice(prefixStem.length).split('-')[0])
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue
    await sh('ip', ['netns', 'del', name]).catch(() => {})
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string }
  return String(e.stderr || e.message || err)
    .trim()
    .split('\n')[0]
}
