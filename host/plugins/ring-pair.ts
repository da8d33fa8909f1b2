import { OpRing } from './op-ring.ts'
import { RING } from './protocol.ts'

/**
 * The two op rings of one plugin incarnation (to the worker, from it) over one
 * SharedArrayBuffer laid out as RING says, seen from either end. The buffer's pages are
 * committed only as the rings are written, so an idle plugin's rings cost almost no memory.
 */

export interface RingPair {
  ctrl: Int32Array
  toWorker: OpRing
  fromWorker: OpRing
}

/** A fresh buffer for a new incarnation (every position at 0, the worker RUNNING). */
export function allocateRings(): SharedArrayBuffer {
  return new SharedArrayBuffer(RING.controlBytes + RING.toWorkerBytes + RING.fromWorkerBytes)
}

/** The rings as `end` uses them: the host thread writes toWorker and reads fromWorker; the worker the reverse. */
export function openRings(sab: SharedArrayBuffer, end: 'host' | 'worker'): RingPair {
  const ctrl = new Int32Array(sab, 0, RING.controlBytes / 4)
  const toWorker = new OpRing(sab, ctrl, RING.toWorkerHead, RING.toWorkerTail, RING.toWorkerFull, RING.controlBytes, RING.toWorkerBytes, RING.maxPayloadBytes, end === 'host' ? 'producer' : 'consumer')
  const fromWorker = new OpRing(sab, ctrl, RING.fromWorkerHead, RING.fromWorkerTail, RING.fromWorkerFull, RING.controlBytes + RING.toWorkerBytes, RING.fromWorkerBytes, RING.maxPayloadBytes, end === 'host' ? 'consumer' : 'producer')
  return { ctrl, toWorker, fromWorker }
}

/** From the worker: ring the host thread's bell, and notify it if its Atomics.waitAsync is armed (once per arming). */
export function wakeHost(ctrl: Int32Array): void {
  Atomics.add(ctrl, RING.hostBell, 1)
  if (Atomics.load(ctrl, RING.hostSleeping) === 1 && Atomics.exchange(ctrl, RING.hostSleeping, 0) === 1) Atomics.notify(ctrl, RING.hostBell)
}
