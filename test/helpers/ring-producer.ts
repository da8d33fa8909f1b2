import { workerData } from 'node:worker_threads'
import { KIND, OpRing } from '../../host/plugins/op-ring.ts'

/**
 * A worker for test/plugins/op-ring.test.ts: writes `total` byte records into the ring in
 * workerData as fast as it has room (record i: conn i, (i * 31) % 1000 bytes, byte j = i + j).
 */
const { sab, capacity, total } = workerData as { sab: SharedArrayBuffer; capacity: number; total: number }
const ctrl = new Int32Array(sab, 0, 16)
const ring = new OpRing(sab, ctrl, 0, 1, 2, 64, capacity, 1000, 'producer')
for (let i = 0; i < total; i++) {
  const len = (i * 31) % 1000
  const bytes = new Uint8Array(len)
  for (let j = 0; j < len; j++) bytes[j] = (i + j) & 0xff
  while (!ring.write(1, i, KIND.BYTES, 0, bytes)) Atomics.wait(ctrl, 1, Atomics.load(ctrl, 1), 1)
}
