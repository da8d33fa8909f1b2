/**
 * The DHT key-value store: records, the DHT plugin that stores them, the republisher, the
 * service a host runs and the control operations the CLI uses.
 */
export { checkKeyName, checkValue, parseAddress } from './kv-address.ts'
export { kvControlOps } from './kv-control.ts'
export type { getJson } from './kv-control.ts'
export { listEntries, unpinEntry } from './kv-list.ts'
export type { ListEntry } from './kv-list.ts'
export { registerKvPlugin } from './kv-plugin.ts'
export type { PutResult, RemoveResult } from './kv-results.ts'
export { KvService } from './kv-service.ts'
export type { KvServiceInit, KvSummary } from './kv-service.ts'
export { KvState } from './kv-state.ts'
