import {
  CONNECTION_EXPORTS,
  EXTISM_ENV_DENIED,
  EXTISM_ENV_MODULE,
  HOST_FUNCTIONS,
  HOST_MODULE,
  HOW_TO_CAP_MEMORY,
  REQUIRED_EXPORTS,
  TIMER_EXPORT
} from '../abi.ts'
import { LIMITS } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import type { Manifest } from '../manifest/index.ts'
import type { WasmFacts } from '../manifest/index.ts'

/**
 * Checks of a module against ABI v1 and its manifest. Rules: a module imports only functions,
 * only host functions of ABI v1 or Extism's own kernel functions (never Extism's HTTP, which
 * would reach the network around the host); it exports what its services and imports need;
 * it declares a memory maximum no larger than the host's cap.
 */

export interface ModuleCheck {
  name: string
  message: string
  warning?: boolean
  error?: HypernetError
}

const PAGE = 64 * 1024

/** Run the module checks; the caller records them in order. */
export function checkImportsExports(facts: WasmFacts, manifest: Manifest | null): ModuleCheck[] {
  const out: ModuleCheck[] = []
  const bad: string[] = []
  const hostImports = new Set<string>()
  for (const imp of facts.imports) {
    const id = `${imp.module}::${imp.name}`
    if (imp.kind !== 'function') bad.push(`${id} (${imp.kind})`)
    else if (imp.module === HOST_MODULE && HOST_FUNCTIONS[imp.name]) hostImports.add(imp.name)
    else if (imp.module === EXTISM_ENV_MODULE && !EXTISM_ENV_DENIED.includes(imp.name)) continue
    else bad.push(id)
  }
  if (bad.length > 0) out.push({ name: 'imports', message: '', error: HypernetError.IMPORT_NOT_ALLOWED(bad, importHint(facts.imports)) })
  else out.push({ name: 'imports', message: hostImports.size ? `imports only host functions: ${[...hostImports].join(', ')}` : 'imports no host functions' })

  const exported = new Set(facts.exports.map((e) => e.name))
  const needed = [...REQUIRED_EXPORTS]
  if ((manifest?.services.length ?? 0) > 0 || hostImports.has('hn_connect') || hostImports.has('hn_mesh_join')) needed.push(...CONNECTION_EXPORTS)
  if (hostImports.has('hn_timer_set')) needed.push(TIMER_EXPORT)
  const missing = needed.filter((n) => !exported.has(n))
  if (missing.length > 0) out.push({ name: 'exports', message: '', error: HypernetError.EXPORT_MISSING(missing) })
  else out.push({ name: 'exports', message: `exports the ABI v1 entry points it needs (${needed.length})` })

  const mem = facts.memory
  if (mem === null) {
    out.push({
      name: 'memory',
      message: '',
      error: HypernetError.MEMORY_LIMIT('the module defines no memory of its own (expected an exported memory with a maximum)')
    })
  } else if (mem.max === null) {
    out.push({
      name: 'memory',
      message: '',
      error: HypernetError.MEMORY_LIMIT(
        `the module's memory has no maximum; rebuild with a maximum of at most ${LIMITS.maxMemoryMiB} MiB (${HOW_TO_CAP_MEMORY})`
      )
    })
  } else {
    const maxMiB = (mem.max * PAGE) / (1024 * 1024)
    if (maxMiB > LIMITS.maxMemoryMiB) {
      out.push({
        name: 'memory',
        message: '',
        error: HypernetError.MEMORY_LIMIT(`the module's memory maximum is ${maxMiB} MiB, above this host's cap of ${LIMITS.maxMemoryMiB} MiB`)
      })
    } else {
      const asked = manifest?.limits.memoryMiB ?? LIMITS.defaultMemoryMiB
      if (maxMiB > asked) out.push({ name: 'memory', warning: true, message: `memory maximum ${maxMiB} MiB will be lowered to the manifest's ${asked} MiB` })
      else out.push({ name: 'memory', message: `memory capped at ${maxMiB} MiB by the module itself` })
    }
  }

  if (manifest) {
    for (const name of hostImports) {
      const perm = HOST_FUNCTIONS[name].permission
      if (perm === 'dial' && !(manifest.permissions.dial ?? []).length)
        out.push({ name: 'grants', warning: true, message: `imports ${name} but the manifest grants no dial targets: every call will be denied` })
      if (perm === 'mesh' && !(manifest.permissions.mesh ?? []).length && name === 'hn_mesh_join')
        out.push({ name: 'grants', warning: true, message: `imports ${name} but the manifest grants no meshes: every call will be denied` })
      if (perm === 'storage' && !manifest.permissions.storage)
        out.push({ name: 'grants', warning: true, message: `imports ${name} but the manifest grants no storage: every call will be denied` })
      if (perm === 'timers' && !manifest.permissions.timers && name === 'hn_timer_set')
        out.push({ name: 'grants', warning: true, message: `imports ${name} but the manifest grants no timers: every call will be denied` })
    }
  }
  return out
}

/** What a C, Rust or Extism author most likely did, for the two refusals they meet first. */
function importHint(imports: WasmFacts['imports']): string | undefined {
  if (imports.some((i) => i.module.startsWith('wasi')))
    return 'this host offers no WASI: build for wasm32-unknown-unknown (rustc) or clang --target=wasm32 without a WASI libc; see sdk/ABI.md'
  if (imports.some((i) => i.module === EXTISM_ENV_MODULE && EXTISM_ENV_DENIED.includes(i.name)))
    return "Extism's HTTP functions would reach the network around the host and are never offered: dial services with hn_connect"
  return undefined
}
