import type DHT from 'hyperdht'
import type { KeyPair, SecretStream } from 'hyperdht'
import { now, withTimeout } from './stats.ts'

/**
 * Client-side measurements on one HyperDHT stream, the same code for the plugin service and
 * the raw server: only the key differs.
 */

export const WRITE_BYTES = 64 * 1024
const ACK_EVERY = 1 << 20
const CHUNK = Buffer.alloc(WRITE_BYTES, 0x61)

/** Open a stream to `key` and wait for it. */
export function open(dht: DHT, key: Buffer, keyPair?: KeyPair, timeoutMs = 15_000): Promise<SecretStream> {
  const s = dht.connect(key, keyPair ? { keyPair } : undefined)
  const opened = new Promise<SecretStream>((resolve, reject) => {
    s.once('open', () => resolve(s))
    s.once('error', reject)
    s.once('close', () => reject(new Error('closed before it opened')))
  })
  s.on('error', () => {}) // errors after open surface as close / timeouts in the caller
  return withTimeout(opened, timeoutMs, 'connect').catch((err) => {
    s.destroy()
    throw err
  })
}

/** Resolves when every byte counted by `onBytes` reached `total`; rejects if the stream closes first. */
/** Resolve once `total` (as counted by `count`) has arrived; reject if the stream closes first. */
export function readUntil(s: SecretStream, total: number, count: (d: Buffer) => number = (d) => d.byteLength): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0
    const onData = (d: Buffer) => {
      got += count(d)
      if (got >= total) done()
    }
    const onClose = () => done(new Error(`stream closed after ${got}/${total}`))
    const done = (err?: Error) => {
      s.removeListener('data', onData)
      s.removeListener('close', onClose)
      if (err) reject(err)
      else resolve()
    }
    s.on('data', onData)
    s.on('close', onClose)
  })
}

/** Write `total` bytes in 64 KiB writes, waiting for 'drain' whenever the stream says so. */
async function writeAll(s: SecretStream, total: number): Promise<void> {
  let written = 0
  while (written < total) {
    const n = Math.min(WRITE_BYTES, total - written)
    const ok = s.write(n === WRITE_BYTES ? CHUNK : CHUNK.subarray(0, n))
    written += n
    if (!ok && written < total) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => (s.removeListener('close', onClose), resolve())
        const onClose = () => (s.removeListener('drain', onDrain), reject(new Error('stream closed while writing')))
        s.once('drain', onDrain)
        s.once('close', onClose)
      })
    }
  }
}

/** One-way MB/s to a sink: `mib` MiB written, timed until the last 1-byte-per-MiB ack. */
export async function oneWay(dht: DHT, key: Buffer, mib: number): Promise<number> {
  const s = await open(dht, key)
  try {
    const total = mib * ACK_EVERY
    const start = now()
    const acked = readUntil(s, mib)
    await withTimeout(Promise.all([writeAll(s, total), acked]), 120_000, 'one-way transfer')
    return total / 1e6 / ((now() - start) / 1000)
  } finally {
    s.destroy()
  }
}

/** Echoed MB/s (payload bytes, counted once): `mib` MiB written while the echo is read. */
export async function echoed(dht: DHT, key: Buffer, mib: number): Promise<number> {
  const s = await open(dht, key)
  try {
    const total = mib * ACK_EVERY
    const start = now()
    const back = readUntil(s, total)
    await withTimeout(Promise.all([writeAll(s, total), back]), 120_000, 'echoed transfer')
    return total / 1e6 / ((now() - start) / 1000)
  } finally {
    s.destroy()
  }
}

/** ms from `connect` to the first echoed byte (the byte is written at once, before open). */
export async function firstByte(dht: DHT, key: Buffer): Promise<number> {
  const start = now()
  const s = dht.connect(key)
  s.on('error', () => {})
  try {
    const back = readUntil(s, 1)
    s.write(Buffer.from('x'))
    await withTimeout(back, 15_000, 'first echoed byte')
    return now() - start
  } finally {
    s.destroy()
  }
}

/** Round trips of a `size`-byte message on one open stream; ms each. */
export async function roundTrips(dht: DHT, key: Buffer, n: number, size = 64, warmup = 20): Promise<number[]> {
  const s = await open(dht, key)
  const msg = Buffer.alloc(size, 0x62)
  const out: number[] = []
  try {
    for (let i = 0; i < warmup + n; i++) {
      const start = now()
      const back = readUntil(s, size)
      s.write(msg)
      await withTimeout(back, 10_000, 'round trip')
      if (i >= warmup) out.push(now() - start)
    }
    return out
  } finally {
    s.destroy()
  }
}
