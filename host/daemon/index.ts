/**
 * The daemon: the Host composition root (host.ts), its parts' helpers, and the operations
 * the CLI may ask of it over the control socket.
 */
export { controlOps } from './control-ops.ts'
export type { ControlHost } from './control-ops.ts'
export { parseHiddenSpecs } from './host-hidden.ts'
export type { HostStatus } from './host-status.ts'
export { Host, createHost } from './host.ts'
export type { HostInit, HostParts } from './host.ts'
export { parseIdlePolicy } from './idle-policy.ts'
export type { IdlePolicy } from './idle-policy.ts'
