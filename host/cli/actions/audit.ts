import { existsSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { auditApp } from '../../audit/index.ts'
import type { AuditReport } from '../../audit/index.ts'
import { closeAnswers, fetchCode, fetchManifest, findVendors } from '../../apps/index.ts'
import { decodeId } from '../../encoding/ids.ts'
import { commandDht } from './network.ts'
import { HypernetError } from '../../errors.ts'
import type { HypernetErrorCode } from '../../errors.ts'
import { manifestPathFor, wasmPathFor } from '../../manifest/index.ts'
import { TrustStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { formatReport } from '../format-report.ts'
import { safeText } from '../safe-text.ts'
import { timeoutMs } from '../number-flags.ts'

/** Resolve the wasm and manifest files from one path and optional overrides. */
export function resolveAppFiles(file: string, opts: { manifest?: string; wasm?: string }): { wasmFile: string; manifestFile: string } {
  const isJson = /\.json$/i.test(file)
  const wasmFile = opts.wasm ?? (isJson ? wasmPathFor(file) : file)
  const manifestFile = opts.manifest ?? (isJson ? file : manifestPathFor(file))
  return { wasmFile, manifestFile }
}

/**
 * Check that the app's files exist, the one the user named first: a missing file is a usage
 * error (exit 2), not a failed verification.
 * @throws FILE_NOT_FOUND naming the missing file
 */
export async function requireAppFiles(named: string, files: { wasmFile: string; manifestFile: string }): Promise<void> {
  const both: Array<[string, string]> = [
    [files.wasmFile, 'wasm module'],
    [files.manifestFile, 'manifest']
  ]
  if (named === files.manifestFile) both.reverse()
  for (const [file, what] of both) {
    try {
      await access(file)
    } catch {
      throw HypernetError.FILE_NOT_FOUND(file, what)
    }
  }
}

/**
 * Audit an app and print the report; a failed check throws after printing it.
 * @throws USAGE (a bad --timeout), AUDIT_FAILED-family codes (exit 4) via the first failed check's own code
 */
export async function audit(ctx: CliContext, args: { file: string; manifest?: string; wasm?: string; bootstrap?: string[]; timeout?: number }): Promise<void> {
  timeoutMs(args.timeout, 10)
  const trusted = await new TrustStore(ctx.paths.trust).keys()
  const hash = args.manifest || args.wasm || existsSync(args.file) ? null : decodeId(args.file)
  let report: AuditReport & { hosts?: string[] }
  if (hash) {
    report = await auditRemote(ctx, hash, trusted, args)
  } else {
    const files = resolveAppFiles(args.file, args)
    await requireAppFiles(args.file, files)
    report = await auditApp({ ...files, trusted })
  }
  if (ctx.json) ctx.io.stdout.write(JSON.stringify(report, null, 2) + '\n')
  else if (report.ok && !ctx.quiet) for (const line of [...formatReport(report), ...formatHosts(report.hosts)]) ctx.io.stdout.write(line + '\n')
  if (!report.ok) {
    // the first line (printed by the CLI) says why; the report follows on stderr for a person
    const first = report.checks.find((c) => !c.ok)!
    throw new HypernetError((first.code ?? 'AUDIT_FAILED') as HypernetErrorCode, report.problem!.replace(/^[A-Z_]+: /, ''), {
      details: { verdict: true, reported: ctx.json, after: ctx.json ? [] : [...formatReport(report).slice(1), ...formatHosts(report.hosts)] }
    })
  }
}

/**
 * The audit of an app nobody here has installed, by code hash or service hash: the manifest and
 * code from the hosts that run it (newest valid manifest, code checked against its hash), every
 * check the offline audit makes, plus which hosts run it. Nothing is stored.
 */
async function auditRemote(
  ctx: CliContext,
  hash: Buffer,
  trusted: Set<string>,
  args: { bootstrap?: string[]; timeout?: number }
): Promise<AuditReport & { hosts: string[] }> {
  const dht = await commandDht(ctx, args.bootstrap)
  try {
    const vendors = await findVendors(dht, hash, { timeoutMs: timeoutMs(args.timeout, 10) })
    const warn = (line: string) => {
      if (!ctx.json) ctx.io.stderr.write(`warning: ${safeText(line)}\n`)
    }
    let release
    try {
      release = await fetchManifest(dht, vendors.codeHash, vendors.hosts, { trusted, onProblem: warn })
    } catch (err) {
      const report = (err as HypernetError).details?.report as AuditReport | undefined
      if (report) return { ...report, hosts: vendors.hosts }
      throw err
    }
    try {
      const wasm = await fetchCode(dht, release, { onProblem: warn })
      const label = `code ${vendors.codeHash}`
      return { ...(await auditApp({ manifestFile: label, wasmFile: label, manifestValue: release.manifest, wasmBytes: wasm, trusted })), hosts: vendors.hosts }
    } finally {
      await closeAnswers(release.answers)
    }
  } finally {
    await dht.destroy()
  }
}

function formatHosts(hosts: string[] | undefined): string[] {
  if (!hosts) return []
  return [`run by ${hosts.length} host${hosts.length === 1 ? '' : 's'} (verified by their signed descriptors)`, ...hosts.map((h) => `  ${h}`)]
}
