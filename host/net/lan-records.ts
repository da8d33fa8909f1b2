import { LAN } from '../constants.ts'

/**
 * The DNS-SD records a Hypernet host answers with on the link (PTR, SRV, TXT, A: RFC 6763 over
 * multicast DNS), and reading them back out of a response from the network, checked before use.
 */

export interface LanAdvert {
  host: string
  port: number
  /** The host key it advertised (hex). */
  key: string
}

/** The records naming this host's LAN node (`instance` is `<key prefix>._hypernet._udp.local`). */
export function lanAnswers(instance: string, hostKey: string, address: string, port: number): object[] {
  const target = `${hostKey.slice(0, 32)}.local`
  return [
    { name: LAN.service, type: 'PTR', ttl: LAN.ttlSeconds, data: instance },
    { name: instance, type: 'SRV', ttl: LAN.ttlSeconds, data: { port, target, priority: 0, weight: 0 } },
    { name: instance, type: 'TXT', ttl: LAN.ttlSeconds, data: [`key=${hostKey}`] },
    { name: target, type: 'A', ttl: LAN.ttlSeconds, data: address }
  ]
}

/** Read PTR → SRV → A (+ TXT) out of one response; `own` (this host's instance) is skipped. */
export function readAdverts(response: any, own: string): LanAdvert[] {
  const records = [...(response?.answers ?? []), ...(response?.additionals ?? [])]
  const found: LanAdvert[] = []
  for (const ptr of records) {
    if (ptr.type !== 'PTR' || ptr.name !== LAN.service || typeof ptr.data !== 'string' || ptr.data === own) continue
    const srv = records.find((x) => x.type === 'SRV' && x.name === ptr.data)
    const port = srv?.data?.port
    const a = records.find((x) => x.type === 'A' && x.name === srv?.data?.target)
    const host = a?.data
    const txt = records.find((x) => x.type === 'TXT' && x.name === ptr.data)
    const key =
      (Array.isArray(txt?.data) ? txt.data : [])
        .map((b: Buffer | string) => b.toString())
        .find((s: string) => s.startsWith('key='))
        ?.slice(4) ?? ''
    if (typeof host !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) continue
    if (!/^[0-9a-f]{64}$/.test(key)) continue
    found.push({ host, port, key })
  }
  return found
}
