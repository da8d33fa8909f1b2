// Types for scripts/build-plugins.js, which stays plain JavaScript so `npm install` can run
// it without tsx. Keep in step with the JSDoc there.

/** One module the repository builds. */
export interface BuildTarget {
  name: string
  kind: 'plugin' | 'fixture'
  /** The AssemblyScript entry file. */
  entry: string
  /** Every source file of the module besides the SDK. */
  sources: string[]
  outFile: string
  /** Declared memory maximum in 64 KiB pages; null builds without one. */
  maximumMemory: number | null
}

export interface BuildResult {
  outFile: string
  bytes: number
  sha256: string
  ms: number
}

export const ROOT: string
export const SDK_PACKAGE: string
export const DEFAULT_MAX_PAGES: number

/** The asc flags every Hypernet module is built with. */
export function ascFlags(opts?: { maximumMemory?: number | null }): string[]

/** Every module this repository builds, with its output under `outDir` (default build/). */
export function listTargets(opts?: { outDir?: string }): Promise<BuildTarget[]>

/** Compile one entry file to `outFile`. Throws with the compiler's diagnostics on failure. */
export function buildPlugin(opts: { entry: string; outFile: string; maximumMemory?: number | null }): Promise<BuildResult>

/** Stop the compiler worker, if one is running. Idle, it never keeps the process alive. */
export function closeCompiler(): Promise<void>

/** Build every target whose output is missing or stale. */
export function buildAll(opts?: { outDir?: string; force?: boolean; print?: (line: string) => void }): Promise<{ built: string[]; fresh: string[] }>
