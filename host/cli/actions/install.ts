import { verifyApp } from '../../audit/audit-app.ts'
import type { AuditReport } from '../../audit/audit-app.ts'
import { HypernetError } from '../../errors.ts'
import { createAppStore } from '../../store/app-store.ts'
import { TrustStore } from '../../store/trust-store.ts'
import type { CliContext } from '../context.ts'
import { formatPermissions, formatReport, formatServices } from '../format-report.ts'
import { requireAppFiles, resolveAppFiles } from './audit.ts'
import { notifyDaemon } from './notify-daemon.ts'

/**
 * Verify, ask, install. Nothing is written unless every check passed and consent was given.
 * @throws FILE_NOT_FOUND (exit 2), every audit code (exit 4), CONSENT_REQUIRED, CONSENT_DENIED, STORE_LOCKED
 */
export async function install(ctx: CliContext, args: { wasm: string; manifest?: string; yes?: boolean }): Promise<void> {
  const files = resolveAppFiles(args.wasm, { manifest: args.manifest })
  await requireAppFiles(args.wasm, files)
  const trusted = await new TrustStore(ctx.paths.trust).keys()
  let verified
  try {
    verified = await verifyApp({ ...files, trusted })
  } catch (err) {
    const report = (err as HypernetError).details?.report as AuditReport | undefined
    if (err instanceof HypernetError && report && !ctx.json) {
      throw new HypernetError(err.code, err.message.replace(/^[A-Z_]+: /, ''), { details: { after: formatReport(report).slice(1) } })
    }
    throw err
  }
  const { report, manifest, wasm } = verified
  const who = `${manifest.app.name} ${manifest.app.version}`

  if (!report.publisher!.trusted && !args.yes) {
    if (!ctx.io.interactive) throw HypernetError.CONSENT_REQUIRED()
    const lines = [`${who} from publisher ${report.publisher!.key} is requesting the following privileges:`, ...formatServices(report), ...formatPermissions(report)]
    for (const l of lines) ctx.io.stderr.write(l + '\n')
    if (!(await ctx.confirm('Install it?'))) throw HypernetError.CONSENT_DENIED()
  }

  const store = createAppStore({ dir: ctx.paths.store })
  await store.ready()
  const outcome = await store.install(manifest, wasm)
  const daemon = await notifyDaemon(ctx, { op: 'reload', app: manifest.app.name })
  ctx.data({ ...outcome, services: report.services, daemon }, () => [
    outcome.status === 'unchanged'
      ? `${who} is already installed (code hash ${outcome.app.codeHash})`
      : outcome.status === 'upgraded'
        ? `upgraded ${manifest.app.name} ${outcome.previous!.version} -> ${manifest.app.version} (code hash ${outcome.app.codeHash})`
        : `installed ${who} (code hash ${outcome.app.codeHash})`,
    ...formatServices(report),
    ...(daemon === 'applied' ? ['the running daemon picked it up'] : [])
  ])
}
