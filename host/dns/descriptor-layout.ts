import { DNS } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { encode, hostDescriptor } from '../messages.ts'
import type { DescriptorAppWire, DescriptorBridgeWire } from '../messages.ts'
import { MAX_DESCRIPTOR_BYTES } from './descriptor.ts'

/**
 * Which app goes in which descriptor record: page 0 is the record under the host key (with the
 * bridges), pages 1..n the pages under their own keys (descriptor-page.ts). An app stays on the
 * page it was on while that page has room, so adding or removing one app re-announces that app
 * only, not every app after it; the others go to the first page with room. Apps beyond
 * DNS.maxDescriptorPages pages are left out (unlisted).
 */

export interface DescriptorLayout {
  /** pages[0]: the host record's apps; pages[i]: page i's. Trailing pages are never empty. */
  pages: DescriptorAppWire[][]
  unlisted: DescriptorAppWire[]
}

/** The identity an app keeps its page by: the same code under the same name. */
export function appSlot(a: DescriptorAppWire): string {
  return `${formatId(a.codeHash)}/${a.name}`
}

const ZERO32 = Buffer.alloc(32)
const ZERO64 = Buffer.alloc(64)
// the largest values the header fields take, so a layout never overflows when they grow
const LATEST = 0xffffffff

/** Bytes one record spends before its apps: page 0 with these bridges, or any page. */
function overhead(bridges: DescriptorBridgeWire[]): { first: number; page: number } {
  const max = DNS.maxDescriptorPages
  const first = encode(hostDescriptor, { host: ZERO32, updated: LATEST, apps: [], bridges, pages: max }).byteLength
  const page = encode(hostDescriptor, { host: ZERO32, updated: LATEST, apps: [], page: { index: max, key: ZERO32, signature: ZERO64 } }).byteLength
  return { first, page }
}

/**
 * Lay `apps` out over the host record and its pages, keeping each app on `previous`'s page
 * where it still fits.
 * @throws USAGE (descriptor.ts) never; a single app too big for any page is left unlisted
 */
export function layoutDescriptor(
  apps: DescriptorAppWire[],
  bridges: DescriptorBridgeWire[],
  previous: ReadonlyMap<string, number> = new Map()
): DescriptorLayout {
  const head = overhead(bridges)
  const room = (i: number) => MAX_DESCRIPTOR_BYTES - (i === 0 ? head.first : head.page)
  const empty = encode(hostDescriptor, { host: ZERO32, updated: 0, apps: [] }).byteLength
  // an app's bytes in a record; the apps count prefix is 1 byte up to 252 apps, far above what fits
  const size = (a: DescriptorAppWire) => encode(hostDescriptor, { host: ZERO32, updated: 0, apps: [a] }).byteLength - empty
  const used: number[] = []
  const pages: DescriptorAppWire[][] = []
  const place = (a: DescriptorAppWire, n: number, i: number): boolean => {
    if (i > DNS.maxDescriptorPages || (used[i] ?? 0) + n > room(i)) return false
    while (pages.length <= i) {
      pages.push([])
      used.push(0)
    }
    pages[i].push(a)
    used[i] += n
    return true
  }
  const sizes = apps.map(size)
  const placed = apps.map((a, k) => {
    const was = previous.get(appSlot(a))
    return was !== undefined && place(a, sizes[k], was)
  })
  const unlisted: DescriptorAppWire[] = []
  apps.forEach((a, k) => {
    if (placed[k]) return
    for (let i = 0; i <= DNS.maxDescriptorPages; i++) if (place(a, sizes[k], i)) return
    unlisted.push(a)
  })
  if (pages.length === 0) pages.push([])
  // keep each record's apps in the host's order, whatever order they were placed in
  const order = new Map(apps.map((a, k) => [a, k]))
  for (const p of pages) p.sort((x, y) => order.get(x)! - order.get(y)!)
  return { pages, unlisted }
}
