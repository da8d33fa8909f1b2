import { LEVELS } from '../log/index.ts'
import type { Level } from '../log/index.ts'
/**
 * The schema of `<home>/config.json` (JSON Schema draft-07, checked with ajv). Every field is
 * optional: an absent field means "the default". `additionalProperties: false` everywhere, so a
 * misspelt key is an error, never silently ignored.
 */

const PORT = { type: 'integer', minimum: 1, maximum: 65535 } as const
const COUNT = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const
/** host:port, optionally with a `name@` prefix (hyperdht's bootstrap format). */
export const ADDRESS_PATTERN = '^(?:[^@\\s]+@)?[^:\\s]+:\\d{1,5}$'
/** A byte rate as the CLI takes it: 512K, 8M, 1G, or bytes. */
const RATE = { type: 'string', pattern: '^\\d+(?:\\.\\d+)?\\s*[kKmMgG]?(?:i?[bB])?(?:/s)?$' } as const
const SIZE = { type: 'string', pattern: '^\\d+(?:\\.\\d+)?\\s*[kKmMgG]?(?:[iI]?[bB])?$' } as const
const KEY = { type: 'string', pattern: '^(?:[0-9a-fA-F]{64}|[13-9a-km-uw-z]{52})$' } as const

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'hypernet-host config.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    bootstrap: { type: 'array', maxItems: 64, items: { type: 'string', pattern: ADDRESS_PATTERN } },
    port: PORT,
    lan: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        address: { type: 'string', pattern: '^(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)$' }
      }
    },
    relay: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        port: PORT,
        maxConnections: COUNT,
        maxBandwidth: RATE,
        use: { type: 'array', maxItems: 64, items: KEY }
      }
    },
    onion: {
      type: 'object',
      additionalProperties: false,
      properties: {
        relay: { type: 'boolean' },
        maxCircuits: COUNT,
        maxBandwidth: RATE,
        maxMemory: SIZE
      }
    },
    serving: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxFetchesPerPeer: COUNT,
        maxFetches: COUNT,
        maxConnectionsPerPeer: COUNT,
        bytesPerSecond: { type: 'integer', minimum: 1024 },
        maxModuleBytes: { type: 'integer', minimum: 1024 }
      }
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: { address: { type: 'string', pattern: ADDRESS_PATTERN } }
    },
    idle: {
      type: 'object',
      additionalProperties: false,
      properties: {
        stopAfter: { type: 'integer', minimum: 0, maximum: 604_800 },
        apps: { type: 'array', maxItems: 4096, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}=\\d{1,6}$' } }
      }
    },
    web: {
      type: 'object',
      additionalProperties: false,
      properties: { address: { type: 'string', pattern: ADDRESS_PATTERN } }
    },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { type: 'string', enum: LEVELS },
        maxBytes: { type: 'integer', minimum: 4096, maximum: 1024 * 1024 * 1024 },
        files: { type: 'integer', minimum: 0, maximum: 100 }
      }
    },
    /** The old name of log.level (log.level wins when both are set). */
    logLevel: { type: 'string', enum: LEVELS }
  }
} as const

/** The config file's shape (what the schema accepts). */
export interface HostConfig {
  bootstrap?: string[]
  port?: number
  lan?: { enabled?: boolean; address?: string }
  relay?: { enabled?: boolean; port?: number; maxConnections?: number; maxBandwidth?: string; use?: string[] }
  onion?: { relay?: boolean; maxCircuits?: number; maxBandwidth?: string; maxMemory?: string }
  serving?: { maxFetchesPerPeer?: number; maxFetches?: number; maxConnectionsPerPeer?: number; bytesPerSecond?: number; maxModuleBytes?: number }
  /** Serve Prometheus metrics at this host:port (`start --metrics` wins; docs/metrics.md). */
  metrics?: { address?: string }
  /** Apps run on demand: seconds unused before a worker stops (0: always running), host-wide and per app as `name=seconds` (`start --idle-stop` wins; docs/plugins.md). */
  idle?: { stopAfter?: number; apps?: string[] }
  /** Serve the live web page at this loopback host:port (`start --web` wins; docs/monitor.md). */
  web?: { address?: string }
  /** The daemon's log: level (`start --log-level` and HYPERNET_LOG_LEVEL win), rotation size and files kept (docs/logs.md). */
  log?: { level?: Level; maxBytes?: number; files?: number }
  /** The old name of `log.level`. */
  logLevel?: Level
}
