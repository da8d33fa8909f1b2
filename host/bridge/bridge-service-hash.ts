export { bridgeServiceHash } from '../manifest/index.ts'

/** Service names a bridge may take: the manifest's rule for service names. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
