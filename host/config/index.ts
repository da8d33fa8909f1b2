/**
 * The host's config file (`<home>/config.json`): schema, reading, writing, `config set`.
 */
export { configKeys, readConfig, setKey, unsetKey, validateConfig, writeConfig } from './config-file.ts'
export { ADDRESS_PATTERN, CONFIG_SCHEMA } from './config-schema.ts'
export type { HostConfig } from './config-schema.ts'
