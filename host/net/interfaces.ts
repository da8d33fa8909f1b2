import { networkInterfaces } from 'node:os'

/**
 * This machine's first IPv4 address that is not loopback: the address other machines on its
 * network most likely reach it by. Null when it has none (offline, or only loopback).
 */
export function firstLanAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return null
}

/** Whether `ip` is an IPv4 address of one of this machine's interfaces. */
export function isLocalAddress(ip: string): boolean {
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => a.family === 'IPv4' && a.address === ip))
}

/** `0.0.0.0` as "the address others use": the first LAN address. @returns null when there is none */
export function advertisedAddress(host: string): string | null {
  return host === '0.0.0.0' ? firstLanAddress() : host
}
