import { readFile } from 'node:fs/promises'
import { atomicWrite } from '../util/atomic-write.ts'

/**
 * The guard relays a host keeps across restarts, in `<home>/onion-guards.json`:
 * `{ "version": 1, "guards": [ { "relay": <hex>, "host": <hex>, "since": <unix ms> } ] }`.
 * Kept so that a restarted host goes on using the same first hops (a new set at every start
 * would, over restarts, show the host's address to every relay in turn, as no guards at all
 * would). A guard is dropped when it fails, when its relay is no longer advertised, or after
 * ONION.guardLifetimeMs, and a new one chosen. The file is private (0600): it says which
 * relays this host trusts with its address. An unreadable file is treated as empty.
 */

export interface GuardRecord {
  /** Relay key, hex. */
  relay: string
  /** The relay's host key, hex. */
  host: string
  /** When it became a guard (unix ms). */
  since: number
}

const HEX32 = /^[0-9a-f]{64}$/

/** The guards saved in `file`; [] when it is absent, unreadable or malformed. Never throws. */
export async function loadGuards(file: string): Promise<GuardRecord[]> {
  try {
    const f = JSON.parse(await readFile(file, 'utf8'))
    if (f?.version !== 1 || !Array.isArray(f.guards)) return []
    return f.guards.filter((g: GuardRecord) => HEX32.test(g?.relay) && HEX32.test(g?.host) && Number.isFinite(g?.since))
  } catch {
    return []
  }
}

/** Replace the saved guards, atomically. */
export async function saveGuards(file: string, guards: readonly GuardRecord[]): Promise<void> {
  await atomicWrite(file, JSON.stringify({ version: 1, guards }, null, 2) + '\n', 0o600)
}
