/**
 * Onion routing over Hypernet hosts (README: "Anonymous routing"): relays that carry circuits
 * of fixed-size cells, and a client that builds three-hop circuits to any service key.
 */
export { OnionRelay } from './onion-relay.ts'
export type { OnionRelayInit, OnionRelayStatus } from './onion-relay.ts'
export type { RelayObservation } from './relay-circuit.ts'
export { OnionClient } from './onion-client.ts'
export type { OnionClientInit } from './onion-client.ts'
export { OnionStream } from './onion-stream.ts'
export { ClientCircuit } from './client-circuit.ts'
export { ONION_RELAY_SERVICE_HASH, ONION_RELAY_CODE_HASH, findOnionRelays, pickPath, onionRelayEntry, onionRelayKeyPair } from './onion-directory.ts'
export type { RelayInfo } from './onion-directory.ts'
export { reasonName } from './onion-reasons.ts'
export { dialAnonymous } from './anonymous-dial.ts'
export type { AnonymousTarget } from './anonymous-dial.ts'
export { HiddenService } from './hidden-service.ts'
export type { HiddenServiceInit, HiddenServiceStatus } from './hidden-service.ts'
export { connectHidden } from './hidden-client.ts'
export type { HiddenConnection } from './hidden-client.ts'
export { hiddenKeyPair } from './hidden-record.ts'
export { StandaloneRelay } from './standalone-relay.ts'
export { loadGuards, saveGuards } from './guard-store.ts'
export type { GuardRecord } from './guard-store.ts'
