import { stat } from 'node:fs/promises'
import { verifyApp } from '../../audit/index.ts'
import type { AuditReport } from '../../audit/index.ts'
import { permissionDiff } from '../../audit/index.ts'
import { installFromNetwork } from '../../apps/index.ts'
import { decodeId } from '../../encoding/ids.ts'
import { HypernetError } from '../../errors.ts'
import { createAppStore } from '../../store/index.ts'
import type { AppStore } from '../../store/index.ts'
import type { PolicyOptions } from '../../store/index.ts'
import { TrustStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { formatReport, formatServices } from '../format-report.ts'
import { safeText } from '../safe-text.ts'
import { requireAppFiles, resolveAppFiles } from './audit.ts'
import { askConsent, outcomeLine } from './consent.ts'
import { commandDht } from './network.ts'
import { notifyDaemon } from './notify-daemon.ts'
import { progressBar } from './progress.ts'
import { timeoutMs } from '../number-flags.ts'

export interface InstallArgs {
  wasm: string
  manifest?: string
  yes?: boolean
  /** With `yes`: do not list what was consented to (`dev`, whose own line says what it installs). */
  unlisted?: boolean
  allowDowngrade?: boolean
  replacePublisher?: boolean
  bootstrap?: string[]
  timeout?: number
}

/**
 * Install from a file (`app.wasm` + its manifest) or by hash from the hosts that run it (a code
 * hash or a service hash). Verify, apply the install policy, ask, store. Nothing is written
 * unless every check passed and consent was given.
 * @throws every audit code (exit 4), PUBLISHER_CHANGED, DOWNGRADE, VERSION_CONFLICT (exit 4),
 *   CONSENT_REQUIRED, CONSENT_DENIED, STORE_LOCKED, NOT_FOUND, FETCH_FAILED, FILE_NOT_FOUND, USAGE (a bad --timeout)
 */
export async function install(ctx: CliContext, args: InstallArgs): Promise<void> {
  timeoutMs(args.timeout, 10)
  const policy: PolicyOptions = { allowDowngrade: args.allowDowngrade, replacePublisher: args.replacePublisher }
  const store = createAppStore({ dir: ctx.paths.store })
  await store.ready()
  const trusted = await new TrustStore(ctx.paths.trust).keys()
  const hash = (await isFile(args.wasm)) || args.manifest ? null : decodeId(args.wasm)
  if (hash) return installByHash(ctx, args, hash, store, trusted, policy)

  const files = resolveAppFiles(args.wasm, { manifest: args.manifest })
  await requireAppFiles(args.wasm, files)
  let verified
  try {
    verified = await verifyApp({ ...files, trusted })
  } catch (err) {
    throw withReport(ctx, err)
  }
  const { report, manifest, wasm } = verified
  const plan = await store.plan(manifest, policy)
  const diff = plan.previousManifest ? permissionDiff(plan.previousManifest, manifest) : null
  if (plan.kind !== 'unchanged' && !(args.yes && args.unlisted)) await askConsent(ctx, { manifest, report, plan, diff, yes: args.yes })
  const outcome = await store.install(manifest, wasm, policy)
  const daemon = await notifyDaemon(ctx, { op: 'reload', app: manifest.app.name })
  ctx.data({ ...outcome, services: report.services, daemon }, () => [
    outcomeLine(outcome.status, manifest, outcome.app.codeHash, outcome.previous),
    ...formatServices(report),
    ...(daemon === 'applied' ? ['the running daemon picked it up'] : [])
  ])
}

async function installByHash(ctx: CliContext, args: InstallArgs, hash: Buffer, store: AppStore, trusted: Set<string>, policy: PolicyOptions): Promise<void> {
  const dht = await commandDht(ctx, args.bootstrap)
  const bar = progressBar(ctx)
  try {
    const result = await installFromNetwork(
      { dht, store, trusted },
      {
        hash,
        policy,
        lookupTimeoutMs: timeoutMs(args.timeout, 10),
        consent: async (req) => {
          await askConsent(ctx, { manifest: req.release.manifest, report: req.release.report, plan: req.plan, diff: req.diff, hosts: req.hosts, yes: args.yes })
          return true
        },
        onProgress: (got, total, vendor) => bar.update(got, total, vendor),
        onProblem: (line) => {
          bar.clear()
          if (!ctx.json) ctx.io.stderr.write(`warning: ${safeText(line)}\n`)
        }
      }
    ).catch((err) => {
      throw withReport(ctx, err)
    })
    bar.done()
    const m = result.release.manifest
    const daemon = await notifyDaemon(ctx, { op: 'reload', app: m.app.name })
    const { answers: _a, ...release } = result.release
    ctx.data(
      { status: result.status, app: result.app, previous: result.previous, hosts: result.hosts, size: release.size, services: release.report.services, daemon },
      () => [
        outcomeLine(result.status, m, result.app.codeHash, result.previous),
        ...(result.status === 'unchanged' ? [] : [`fetched ${release.size} bytes from the network; code hash verified`]),
        ...formatServices(release.report),
        ...(daemon === 'applied' ? ['the running daemon picked it up'] : [])
      ]
    )
  } finally {
    bar.clear()
    await dht.destroy()
  }
}

/** An audit failure with its report following the first line (for people; --json keeps it in details). */
function withReport(ctx: CliContext, err: unknown): unknown {
  const report = (err as HypernetError).details?.report as AuditReport | undefined
  if (err instanceof HypernetError && report && !ctx.json) {
    return new HypernetError(err.code, err.message.replace(/^[A-Z_]+: /, ''), { details: { after: formatReport(report).slice(1) } })
  }
  return err
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile()
  } catch {
    return false
  }
}
