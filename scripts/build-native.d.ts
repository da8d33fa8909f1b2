// Types for scripts/build-native.js (plain JavaScript, like build-plugins.js). Keep in step with the JSDoc there.

export interface NativePlugin {
  name: string
  lang: 'c' | 'rust'
  /** The entry source, relative to the repository. */
  entry: string
}

export type Missing = { missing: string }

export const ROOT: string
export const MAX_MEMORY_BYTES: number
export const NATIVE_PLUGINS: NativePlugin[]
export function clangFlags(maxMemoryBytes?: number): string[]
export function rustcFlags(maxMemoryBytes?: number): string[]
export function findClang(): Promise<{ clang: string; version: string } | Missing>
export function findRustc(): Promise<{ rustc: string; version: string } | Missing>
export function buildNative(plugin: NativePlugin, outFile: string): Promise<{ outFile: string; bytes: number; ms: number; compiler: string } | Missing>
