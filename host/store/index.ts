/**
 * The home folder's stores: installed apps, the firewall, trusted publishers and hosts, the
 * install policy and the store lock.
 */
export { createAppStore } from './app-store.ts'
export type { AppStore, InstallOutcome, InstalledApp } from './app-store.ts'
export { FirewallStore } from './firewall-store.ts'
export { HostTrustStore } from './host-trust-store.ts'
export { compareVersions } from './install-policy.ts'
export type { InstallPlan, PolicyOptions } from './install-policy.ts'
export { withLock } from './lock.ts'
export { TrustStore } from './trust-store.ts'
