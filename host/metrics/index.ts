/**
 * Metrics: a Prometheus text endpoint (`start --metrics`) over the host's status, with its own registry.
 */
export { DEFAULT_METRICS_ADDRESS, parseMetricsAddress } from './metrics-address.ts'
export type { MetricsAddress } from './metrics-address.ts'
export { MetricsServer } from './metrics-server.ts'
export type { DhtStats, MetricsComponents, MetricsSnapshot } from './metrics-server.ts'
