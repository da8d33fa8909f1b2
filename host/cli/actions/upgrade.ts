import { finishInstall, findUpgrade, closeAnswers } from '../../apps/index.ts'
import { permissionDiff } from '../../audit/index.ts'
import { createAppStore } from '../../store/index.ts'
import type { InstalledApp } from '../../store/index.ts'
import { TrustStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { askConsent } from './consent.ts'
import { commandDht } from './network.ts'
import { notifyDaemon } from './notify-daemon.ts'
import { progressBar } from './progress.ts'
import { safeLines, safeText } from '../safe-text.ts'
import { timeoutMs } from '../number-flags.ts'

interface UpgradeLine {
  app: string
  from: string
  to: string | null
  codeHash?: string
  added?: string[]
  removed?: string[]
  status: 'up-to-date' | 'available' | 'upgraded' | 'failed'
  error?: string
}

/**
 * For each installed app (or one), find a newer release on the network signed by its pinned
 * publisher, show the version and permission changes, and install it on consent (always asked
 * when it adds a permission, even for a trusted publisher). `--check` installs nothing.
 * @throws USAGE (a bad --timeout), APP_NOT_FOUND, CONSENT_REQUIRED, CONSENT_DENIED (one app named), and network codes
 */
export async function upgrade(ctx: CliContext, args: { app?: string; check?: boolean; yes?: boolean; bootstrap?: string[]; timeout?: number }): Promise<void> {
  timeoutMs(args.timeout, 10)
  const store = createAppStore({ dir: ctx.paths.store })
  await store.ready()
  const apps: InstalledApp[] = args.app ? [await store.get(args.app)] : await store.list()
  const trusted = await new TrustStore(ctx.paths.trust).keys()
  const dht = await commandDht(ctx, args.bootstrap)
  const out: UpgradeLine[] = []
  const warn = (line: string) => {
    if (!ctx.json) ctx.io.stderr.write(`warning: ${safeText(line)}\n`)
  }
  try {
    for (const app of apps) {
      const found = await findUpgrade(dht, app, { trusted, timeoutMs: timeoutMs(args.timeout, 10), onProblem: warn })
      if (!found) {
        out.push({ app: app.name, from: app.version, to: null, status: 'up-to-date' })
        continue
      }
      const m = found.release.manifest
      const diff = permissionDiff(await store.manifestOf(app), m)
      const line: UpgradeLine = {
        app: app.name,
        from: app.version,
        to: m.app.version,
        codeHash: found.release.codeHash,
        added: diff.added,
        removed: diff.removed,
        status: 'available'
      }
      out.push(line)
      if (args.check) {
        await closeAnswers(found.release.answers)
        continue
      }
      const bar = progressBar(ctx)
      try {
        const r = await finishInstall({ dht, store, trusted }, found.release, found.hosts, {
          consent: async (req) => {
            await askConsent(ctx, { manifest: m, report: req.release.report, plan: req.plan, diff: req.diff, hosts: req.hosts, yes: args.yes })
            return true
          },
          onProgress: (got, total, vendor) => bar.update(got, total, vendor),
          onProblem: warn
        })
        bar.done()
        line.status = r.status === 'unchanged' ? 'up-to-date' : 'upgraded'
      } catch (err) {
        bar.clear()
        if (args.app) throw err
        line.status = 'failed'
        line.error = (err as Error).message
      }
    }
  } finally {
    await dht.destroy()
  }
  // nothing installed, nothing for a daemon to pick up: say so, not whether one runs
  const daemon = out.some((l) => l.status === 'upgraded') ? await notifyDaemon(ctx, { op: 'reload', app: args.app ?? '' }) : 'not-needed'
  ctx.data({ apps: out, daemon }, () => out.flatMap((l) => formatLine(l)).concat(daemon === 'applied' ? ['the running daemon picked it up'] : []))
}

/** An app's upgrade lines, escaped: versions and errors came from the network. */
function formatLine(l: UpgradeLine): string[] {
  return safeLines(lineText(l))
}

function lineText(l: UpgradeLine): string[] {
  const changes = [...(l.added ?? []), ...(l.removed ?? [])].map((x) => `  ${x}`)
  switch (l.status) {
    case 'up-to-date':
      return [`${l.app} ${l.from} is up to date`]
    case 'available':
      return [
        `${l.app} ${l.from} -> ${l.to} available (code hash ${l.codeHash})`,
        ...(changes.length ? ['  permission changes:', ...changes] : ['  permissions unchanged'])
      ]
    case 'upgraded':
      return [`upgraded ${l.app} ${l.from} -> ${l.to} (code hash ${l.codeHash})`, ...changes]
    default:
      return [`${l.app} ${l.from} -> ${l.to}: not upgraded: ${l.error}`]
  }
}
