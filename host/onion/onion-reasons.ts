import { ONION_REASON } from '../constants.ts'
import { HypernetError } from '../errors.ts'

/**
 * The reason byte of DESTROY cells and END messages, both ways: numbers on the wire
 * (ONION_REASON in constants.ts), names and errors for people.
 */

const NAMES: Record<number, string> = {
  [ONION_REASON.DONE]: 'done',
  [ONION_REASON.PROTOCOL]: 'protocol',
  [ONION_REASON.TAMPERED]: 'tampered',
  [ONION_REASON.HOP_LOST]: 'hop-lost',
  [ONION_REASON.UNREACHABLE]: 'unreachable',
  [ONION_REASON.LIMIT]: 'limit',
  [ONION_REASON.CLOSING]: 'closing',
  [ONION_REASON.TIMEOUT]: 'timeout',
  [ONION_REASON.DESTINATION_CLOSED]: 'destination-closed',
  [ONION_REASON.NO_SUCH_SERVICE]: 'no-such-service'
}

const WHY: Record<number, string> = {
  [ONION_REASON.DONE]: 'the circuit was closed',
  [ONION_REASON.PROTOCOL]: 'a relay saw a cell out of protocol',
  [ONION_REASON.TAMPERED]: 'a relay received a cell that failed its MAC (tampered or replayed)',
  [ONION_REASON.HOP_LOST]: 'a relay on the circuit went away',
  [ONION_REASON.UNREACHABLE]: 'the next relay or the destination could not be reached',
  [ONION_REASON.LIMIT]: 'a relay refused it: over its circuit or byte limit',
  [ONION_REASON.CLOSING]: 'a relay on the circuit is shutting down',
  [ONION_REASON.TIMEOUT]: 'a relay gave up waiting for the next hop',
  [ONION_REASON.DESTINATION_CLOSED]: 'the destination closed the stream',
  [ONION_REASON.NO_SUCH_SERVICE]: 'the introduction point serves no hidden service under that key'
}

/** The name of a reason byte; unknown numbers read as `reason-<n>`. */
export function reasonName(reason: number): string {
  return NAMES[reason] ?? `reason-${reason}`
}

/** The error a client reports for a circuit a relay destroyed with `reason`. */
export function errorForReason(reason: number, context: string): HypernetError {
  if (reason === ONION_REASON.TAMPERED) return HypernetError.CIRCUIT_TAMPERED(`${context}: a relay reported a cell that failed its MAC`)
  return HypernetError.CIRCUIT_FAILED(`${context}: ${WHY[reason] ?? `destroyed with unknown reason ${reason}`}`, reasonName(reason))
}
