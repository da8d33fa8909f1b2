/**
 * Web: the live local page (`start --web`), served on loopback behind a token kept in the home.
 */
export { DEFAULT_WEB_ADDRESS, isLoopback, parseWebAddress } from './web-address.ts'
export type { WebAddress } from './web-address.ts'
export type { ConnectionRow, WebSnapshot } from './web-connections.ts'
export { HISTORY_SAMPLES, HISTORY_SAMPLE_MS } from './web-history.ts'
export type { HistorySample } from './web-history.ts'
export { WebServer } from './web-server.ts'
export type { WebComponents, WebInit } from './web-server.ts'
