import type { HostInit } from '../../daemon/index.ts'
import type { HostStatus } from '../../daemon/index.ts'
import { ONION } from '../../constants.ts'
import { HypernetError } from '../../errors.ts'
import { formatSize, parseSize } from '../../util/byte-size.ts'
import { parseByteRate } from './relay-options.ts'
import { parseHiddenSpecs } from '../../daemon/index.ts'

/** `start`'s onion relay options, and the status line about the relay. */

export interface OnionArgs {
  onionRelay?: boolean
  onionMaxCircuits?: number
  onionMaxBandwidth?: string
  onionMaxMemory?: string
  hidden?: string[]
}

/** The HostInit field the onion options ask for. @throws USAGE */
export function onionInit(args: OnionArgs): Pick<HostInit, 'onionRelay' | 'hidden'> {
  const hidden = args.hidden?.length ? { hidden: parseHiddenSpecs(args.hidden) } : {}
  return { ...relayOptions(args), ...hidden }
}

function relayOptions(args: OnionArgs): Pick<HostInit, 'onionRelay'> {
  const limitsOnly = args.onionMaxCircuits !== undefined || args.onionMaxBandwidth !== undefined || args.onionMaxMemory !== undefined
  if (limitsOnly && !args.onionRelay) throw HypernetError.USAGE('--onion-max-circuits, --onion-max-bandwidth, --onion-max-memory: these need --onion-relay')
  if (!args.onionRelay) return {}
  const init: Exclude<NonNullable<HostInit['onionRelay']>, boolean> = {}
  if (args.onionMaxCircuits !== undefined) {
    if (!Number.isInteger(args.onionMaxCircuits) || args.onionMaxCircuits < 1)
      throw HypernetError.USAGE(`--onion-max-circuits: expected a positive whole number, got ${args.onionMaxCircuits}`)
    init.maxCircuits = args.onionMaxCircuits
  }
  if (args.onionMaxBandwidth !== undefined) init.maxBytesPerSecond = parseByteRate(args.onionMaxBandwidth, '--onion-max-bandwidth')
  if (args.onionMaxMemory !== undefined) init.maxRelayHeldBytes = parseRelayMemory(args.onionMaxMemory, '--onion-max-memory')
  return { onionRelay: init }
}

/**
 * The relay budget from --onion-max-memory: a size of at least what one circuit may hold
 * (ONION.minRelayHeldBytes), and finite (a long digit string would read as Infinity, the
 * budget silently off).
 * @throws USAGE
 */
export function parseRelayMemory(s: string, field: string): number {
  const n = parseSize(s)
  if (!(n >= ONION.minRelayHeldBytes))
    throw HypernetError.USAGE(
      `${field}: expected bytes of at least ${formatSize(ONION.minRelayHeldBytes)} (what one circuit may hold), such as 64M or 1G, got ${JSON.stringify(s)}`
    )
  return n
}

function mib(n: number): string {
  return (n / (1024 * 1024)).toFixed(1)
}

/** Status line for people: the onion relay's key and load, when it runs; hidden keys stay whole (they are what people share). */
export function formatOnion(st: HostStatus, id: (hex: string) => string = (s) => s): string[] {
  const lines: string[] = []
  const o = st.onionRelay
  if (o)
    lines.push(
      `onion     relay ${id(o.key)}  circuits ${o.circuits}/${o.maxCircuits}, ${Math.round(o.maxBytesPerSecond / 1024)} KiB/s max, holding ${mib(o.held)} of ${mib(o.maxHeld)} MiB, accepted ${o.accepted}, refused ${o.refused}, evicted ${o.evicted}, ended for holding too much ${o.limited + o.shed}, introducing ${o.intros}, rendezvous waiting ${o.rendezvous}`
    )
  if (st.onionGuards?.length)
    lines.push(`guards    ${st.onionGuards.map((k) => k.slice(0, 16) + '…').join(', ')}  (the only relays that see this host start a circuit)`)
  if (st.hidden) lines.push('hidden services (reach with: hypernet-host connect --hidden <key>)')
  if (st.hidden?.length === 0) lines.push('  none running (is the app installed?)')
  for (const h of st.hidden ?? []) {
    const state = h.published ? `published ${h.published}` : 'not yet published'
    lines.push(
      `  ${`${h.app}/${h.service}`.padEnd(18)} key ${h.key}  intro points ${h.intros.length}, ${state}, introductions ${h.introductions}, conns ${h.connections}${h.problem ? `  (${h.problem})` : ''}`
    )
  }
  return lines
}
