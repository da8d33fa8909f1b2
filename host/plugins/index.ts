/**
 * The plugin runtime: runs installed apps as sandboxed WebAssembly plugins, one worker thread
 * each, with deadlines, a memory cap, grants, backpressure, per-app storage and restarts.
 * This file is the folder's only public door.
 */

export { createPluginRuntime, PluginRuntime } from './plugin-runtime.ts'
export type { PluginRuntimeComponents, PluginRuntimeInit, PluginRuntimeEvents } from './plugin-runtime.ts'
export { createHarness } from './harness.ts'
export type { Harness, HarnessInit } from './harness.ts'
export { HarnessConnection } from './harness-connection.ts'
export { createDuplexPair, PairStream } from './duplex-pair.ts'
export type { DuplexPairOptions } from './duplex-pair.ts'
export { capModuleMemory } from './memory-cap.ts'
export type { CappedModule } from './memory-cap.ts'
export { resolvePluginLimits, RUNTIME_LIMITS } from './plugin-limits.ts'
export type { PluginLimits } from './plugin-limits.ts'
export { createDialGrants } from './dial-grants.ts'
export type { DialGrants, DialCheck } from './dial-grants.ts'
export { createMeshGrants } from './mesh-grants.ts'
export type { MeshGrants, MeshCheck } from './mesh-grants.ts'
export type {
  AppRef,
  DialFn,
  DialTarget,
  DuplexLike,
  LogLevel,
  MeshFn,
  MeshHandle,
  MeshTarget,
  PluginErrorInfo,
  PluginState,
  PluginStatus,
  RunnableApp,
  RuntimeLogEntry,
  RuntimeLogger
} from './types.ts'
export { ANONYMOUS_PREFIX, HIDDEN_PREFIX } from './dial-grants.ts'
export { resolveQuotas } from './plugin-limits.ts'
