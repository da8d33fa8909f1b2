/**
 * Apps travel the network: the host-to-host apps protocol (serving and fetching signed
 * manifests and code by hash), install by hash, upgrades found by release topic.
 */
export { AppServer } from './app-server.ts'
export type { AppServerComponents, ServedApp, ServingLimits, ServingStatus } from './app-server.ts'
export { AppsSession } from './apps-session.ts'
export { closeAnswers, fetchCode, fetchManifest, findVendors } from './fetch-app.ts'
export type { AuditedRelease, Vendors } from './fetch-app.ts'
export { installFromNetwork, installRelease } from './net-install.ts'
export type { ConsentRequest, NetInstallResult } from './net-install.ts'
export { ServingStore } from './serving-store.ts'
export type { ServingConfig } from './serving-store.ts'
export { finishInstall } from './net-install.ts'
export { findUpgrade, findUpgradeOffers } from './find-upgrades.ts'
export type { FoundUpgrade, UpgradeOffer } from './find-upgrades.ts'
export { AutoUpgrader } from './auto-upgrader.ts'
export type { AutoUpgradeResult } from './auto-upgrader.ts'
