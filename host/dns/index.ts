/**
 * The p2p DNS: the host descriptor, its advertiser, verified lookups and publisher endorsements.
 */
export { Advertiser } from './advertiser.ts'
export { endorsementCheck, publishEndorsement } from './endorsement.ts'
export { lookupVerified } from './lookup.ts'
export { descriptorFor } from './vouch.ts'
export { vouchesFor } from './vouches-for.ts'
export type { LookupPeer } from './lookup.ts'
