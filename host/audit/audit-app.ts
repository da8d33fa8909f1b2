import { ABI_VERSIONS, LIMITS } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import type { HypernetErrorCode } from '../errors.ts'
import { formatId, parseHash, parseKey } from '../encoding/ids.ts'
import { codeHash, serviceHash } from '../manifest/index.ts'
import { manifestFromValue, readBounded, readManifestFile } from '../manifest/index.ts'
import { verifyManifestSignature } from '../manifest/index.ts'
import { inspectWasm } from '../manifest/index.ts'
import type { WasmFacts } from '../manifest/index.ts'
import type { Manifest } from '../manifest/index.ts'
import { checkImportsExports } from './check-module.ts'
import { describePermissions } from './describe-permissions.ts'
import type { PermissionLine } from './describe-permissions.ts'

/**
 * The audit: every check the host makes before it will run an app, in a fixed order. Each
 * check either passes or records the HypernetError that failed it; a failed check stops the
 * checks that depend on it. `verifyApp` is the form the installer uses: it throws the first
 * failure, so there is no path that ignores a failed check.
 */

export interface AuditInput {
  /** Where the module is (a file), or its label when `wasmBytes` carries it. */
  wasmFile: string
  /** Where the manifest is (a file), or its label when `manifestValue` carries it. */
  manifestFile: string
  /** The manifest already parsed (fetched from a peer): checked exactly as a file's would be. */
  manifestValue?: unknown
  /** The module's bytes (fetched from a peer); null: not fetched yet, so the module checks wait. */
  wasmBytes?: Buffer | null
  /** Publisher keys (hex) this host trusts. */
  trusted?: ReadonlySet<string>
  now?: Date
}

export interface AuditCheck {
  name: string
  ok: boolean
  /** A warning does not fail the audit. */
  warning?: boolean
  message: string
  code?: string
}

export interface AuditReport {
  ok: boolean
  /** The first problem, as one line; absent when ok. */
  problem?: string
  code?: string
  wasmFile: string
  manifestFile: string
  app?: { name: string; version: string; description?: string }
  codeHash?: string
  publisher?: { key: string; trusted: boolean }
  expires?: string | null
  services: { name: string; port: number; protocol: string; description?: string; hash: string }[]
  permissions: PermissionLine[]
  checks: AuditCheck[]
}

export interface VerifiedApp {
  manifest: Manifest
  wasm: Buffer
  codeHash: string
  facts: WasmFacts
  report: AuditReport
}

/** The coded error a failed report stands for, with the report attached (`details.report`). */
export function failureOf(report: AuditReport): HypernetError {
  const first = report.checks.find((c) => !c.ok)
  const code = (first?.code ?? report.code ?? 'AUDIT_FAILED') as HypernetErrorCode
  return new HypernetError(code, (report.problem ?? first?.message ?? 'audit failed').replace(/^[A-Z_]+: /, ''), { details: { report } })
}

/** Run every check and report; never throws for a failed check (see verifyApp). */
export async function auditApp(input: AuditInput): Promise<AuditReport> {
  return (await runAudit(input)).report
}

/**
 * Run every check and return the verified app.
 * @throws the first failure: FILE_NOT_FOUND, MANIFEST_NOT_JSON, MANIFEST_INVALID, SIGNATURE_INVALID,
 *   MANIFEST_EXPIRED, WASM_INVALID, CODE_HASH_MISMATCH, ABI_UNSUPPORTED, IMPORT_NOT_ALLOWED,
 *   EXPORT_MISSING, MEMORY_LIMIT
 */
export async function verifyApp(input: AuditInput): Promise<VerifiedApp> {
  const r = await runAudit(input)
  if (r.error) {
    // rethrown with the whole report attached, for callers that show it
    throw new HypernetError(r.error.code, r.error.message.replace(/^[A-Z_]+: /, ''), {
      cause: r.error.cause,
      details: { ...r.error.details, report: r.report }
    })
  }
  return { manifest: r.manifest!, wasm: r.wasm!, codeHash: r.report.codeHash!, facts: r.facts!, report: r.report }
}

interface AuditState {
  report: AuditReport
  error?: HypernetError
  manifest?: Manifest
  wasm?: Buffer
  facts?: WasmFacts
}

async function runAudit(input: AuditInput): Promise<AuditState> {
  const report: AuditReport = { ok: false, wasmFile: input.wasmFile, manifestFile: input.manifestFile, services: [], permissions: [], checks: [] }
  const st: AuditState = { report }
  const now = input.now ?? new Date()

  const pass = (name: string, message: string) => report.checks.push({ name, ok: true, message })
  const warn = (name: string, message: string) => report.checks.push({ name, ok: true, warning: true, message })
  const fail = (name: string, err: unknown): false => {
    const e = err instanceof HypernetError ? err : HypernetError.INTERNAL(String((err as Error)?.message ?? err), err)
    report.checks.push({ name, ok: false, message: e.message, code: e.code })
    if (!st.error) st.error = e
    return false
  }
  const attempt = async (name: string, fn: () => unknown | Promise<unknown>): Promise<boolean> => {
    try {
      await fn()
      return true
    } catch (err) {
      return fail(name, err)
    }
  }

  // 1. the manifest: present, JSON, schema
  const readManifest = async () =>
    input.manifestValue === undefined ? readManifestFile(input.manifestFile) : manifestFromValue(input.manifestValue, input.manifestFile)
  if (
    await attempt('schema', async () => {
      st.manifest = await readManifest()
    })
  ) {
    const m = st.manifest!
    pass('schema', `manifest matches ${m.schema}`)
    report.app = { ...m.app }
    const pub = formatId(parseKey(m.publisher, 'publisher'))
    report.publisher = { key: pub, trusted: input.trusted?.has(pub) ?? false }
    report.expires = m.expires ?? null
    const ch = parseHash(m.code.hash, 'code.hash')
    report.services = m.services.map((s) => ({ ...s, hash: formatId(serviceHash(ch, s.name)) }))
    report.permissions = describePermissions(m)

    // 2. signature, 3. expiry
    if (await attempt('signature', () => verifyManifestSignature(m))) pass('signature', `signed by publisher ${pub}`)
    if (m.expires !== undefined && Date.parse(m.expires) <= now.getTime()) fail('expiry', HypernetError.MANIFEST_EXPIRED(m.expires))
    else pass('expiry', m.expires ? `valid until ${m.expires}` : 'does not expire')
    if (!(ABI_VERSIONS as readonly number[]).includes(m.code.abi)) fail('abi', HypernetError.ABI_UNSUPPORTED(m.code.abi, [...ABI_VERSIONS]))
    else pass('abi', `built for ABI ${m.code.abi}`)
    if (report.publisher.trusted) pass('publisher', `publisher ${pub} is trusted by this host`)
    else warn('publisher', `publisher ${pub} is not trusted by this host (trust add ${pub})`)
  }

  // 4. the wasm: present, a valid module, and the bytes the manifest signed
  if (input.wasmBytes === null) {
    report.checks.push({ name: 'wasm', ok: true, warning: true, message: 'module not fetched yet: its checks run after the download' })
  } else if (
    await attempt('wasm', async () => {
      st.wasm = input.wasmBytes ?? (await readBounded(input.wasmFile, LIMITS.maxWasmBytes, 'wasm'))
      st.facts = await inspectWasm(st.wasm, input.wasmFile)
    })
  ) {
    pass('wasm', `valid WebAssembly module, ${st.wasm!.byteLength} bytes`)
    const got = formatId(codeHash(st.wasm!))
    report.codeHash = got
    if (st.manifest) {
      const want = formatId(parseHash(st.manifest.code.hash))
      if (want !== got) fail('code-hash', HypernetError.CODE_HASH_MISMATCH(want, got))
      else pass('code-hash', `wasm matches code hash ${got}`)
    }
    // 5. what the module imports and exports, and its memory
    for (const c of checkImportsExports(st.facts!, st.manifest ?? null)) {
      if (c.error) fail(c.name, c.error)
      else if (c.warning) warn(c.name, c.message)
      else pass(c.name, c.message)
    }
  }

  report.ok = st.error === undefined
  if (st.error) {
    report.problem = st.error.message
    report.code = st.error.code
  }
  return st
}
