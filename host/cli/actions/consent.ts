import type { AuditReport } from '../../audit/index.ts'
import type { PermissionDiff } from '../../audit/index.ts'
import { HypernetError } from '../../errors.ts'
import type { Manifest } from '../../manifest/index.ts'
import type { InstalledApp } from '../../store/index.ts'
import type { InstallPlan } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { formatPermissions, formatServices } from '../format-report.ts'
import { safeLines, safeText } from '../safe-text.ts'

/**
 * The consent prompt for installs and upgrades, from a file or the network alike (docker
 * plugin install's shape). It asks when the publisher is not trusted, always when the app would
 * replace another publisher's, and always when an upgrade adds a permission, trusted or not.
 * `--yes` consents; without a terminal and without `--yes` nothing is installed.
 */

export interface ConsentInput {
  manifest: Manifest
  report: AuditReport
  plan: InstallPlan & { previous?: InstalledApp }
  diff: PermissionDiff | null
  /** Hosts found running it (network installs). */
  hosts?: number
  yes?: boolean
}

/** Lines that say what the install would do, for the prompt and for `upgrade --check`; escaped, as they quote the manifest. */
export function describeInstall(i: ConsentInput): string[] {
  const m = i.manifest
  const who = `${m.app.name} ${m.app.version}`
  const pub = `${i.report.publisher!.key} (${i.report.publisher!.trusted ? 'trusted' : 'not trusted'})`
  const lines = [`${who} from publisher ${pub} is requesting the following privileges:`]
  // the publisher's own words, said to be theirs: escaped below like everything from the manifest
  if (m.app.description) lines.push(`description  ${m.app.description}`)
  lines.push(...formatServices(i.report), ...formatPermissions(i.report))
  if (i.hosts !== undefined) lines.push(`found on ${i.hosts} host${i.hosts === 1 ? '' : 's'} (verified by their signed descriptors)`)
  const prev = i.plan.previous
  if (i.plan.kind === 'replace-publisher') {
    lines.push(
      `WARNING: this REPLACES ${m.app.name}${prev ? ` ${prev.version}` : ''} from ANOTHER publisher:`,
      `  installed from ${i.plan.previousPublisher}`,
      `  offered by    ${i.report.publisher!.key}`
    )
  } else if (prev && (i.plan.kind === 'upgrade' || i.plan.kind === 'downgrade' || i.plan.kind === 'renew')) {
    lines.push(`${i.plan.kind === 'downgrade' ? 'DOWNGRADE' : i.plan.kind} ${m.app.name} ${prev.version} -> ${m.app.version}`)
  }
  if (i.diff) {
    if (i.diff.added.length === 0 && i.diff.removed.length === 0) lines.push('permissions unchanged')
    else lines.push('permission changes', ...[...i.diff.added, ...i.diff.removed].map((l) => `  ${l}`))
  }
  return safeLines(lines)
}

/**
 * Ask for consent when the policy above says so.
 * @throws CONSENT_REQUIRED (no terminal, no --yes), CONSENT_DENIED
 */
export async function askConsent(ctx: CliContext, i: ConsentInput): Promise<void> {
  const needed =
    !i.report.publisher!.trusted || i.plan.kind === 'replace-publisher' || i.plan.kind === 'downgrade' || (i.diff !== null && i.diff.added.length > 0)
  if (!needed) return
  if (i.yes) {
    // what --yes consented to, for the record; -q keeps only data and errors
    if (!ctx.json && !ctx.quiet) for (const l of describeInstall(i)) ctx.io.stderr.write(l + '\n')
    return
  }
  if (!ctx.io.interactive) throw HypernetError.CONSENT_REQUIRED()
  for (const l of describeInstall(i)) ctx.io.stderr.write(l + '\n')
  const q = i.plan.kind === 'replace-publisher' ? "Replace it with the other publisher's app?" : i.plan.previous ? 'Install this version?' : 'Install it?'
  if (!(await ctx.confirm(q))) throw HypernetError.CONSENT_DENIED()
}

/** The one line an install outcome prints (escaped). */
export function outcomeLine(status: string, m: Manifest, codeHash: string, previous?: InstalledApp): string {
  return safeText(outcomeText(status, m, codeHash, previous))
}

function outcomeText(status: string, m: Manifest, codeHash: string, previous?: InstalledApp): string {
  const who = `${m.app.name} ${m.app.version}`
  switch (status) {
    case 'unchanged':
      return `${who} is already installed (code hash ${codeHash})`
    case 'upgraded':
      return `upgraded ${m.app.name} ${previous!.version} -> ${m.app.version} (code hash ${codeHash})`
    case 'downgraded':
      return `downgraded ${m.app.name} ${previous!.version} -> ${m.app.version} (code hash ${codeHash})`
    case 'renewed':
      return `renewed ${who}: a newer signed manifest for the same code${m.expires ? `, valid until ${m.expires}` : ''} (code hash ${codeHash})`
    case 'replaced':
      return `installed ${who} from publisher ${m.publisher}, replacing the app of the same name from another publisher (code hash ${codeHash})`
    default:
      return `installed ${who} (code hash ${codeHash})`
  }
}
