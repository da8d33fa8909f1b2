/**
 * The p2p DNS: the host descriptor, its advertiser, verified lookups and publisher endorsements.
 */
export { Advertiser } from './advertiser.ts'
export { endorsementCheck, publishEndorsement } from './endorsement.ts'
export { descriptorFor, lookupVerified, vouchesFor } from './lookup.ts'
export type { LookupPeer } from './lookup.ts'
