import { formatId } from '../../encoding/ids.ts'
import { serviceHash } from '../../manifest/index.ts'
import { createAppStore } from '../../store/index.ts'
import type { InstalledApp } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { safeLines } from '../safe-text.ts'

type Listed = InstalledApp & { services: { name: string; port: number; protocol: string; hash: string }[]; broken?: string }

/**
 * Print installed apps. An app whose folder or manifest is missing or unreadable is listed as
 * broken (`broken` says why, in --json too) and the others are listed as usual.
 * @throws STORE_INDEX_INVALID when the index itself cannot be trusted
 */
export async function list(ctx: CliContext): Promise<void> {
  const store = createAppStore({ dir: ctx.paths.store })
  await store.ready()
  const apps: Listed[] = []
  for (const app of await store.list()) {
    try {
      const m = await store.manifestOf(app)
      apps.push({
        ...app,
        services: m.services.map((s) => ({ name: s.name, port: s.port, protocol: s.protocol, hash: formatId(serviceHash(app.codeHash, s.name)) }))
      })
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const why = e.code === 'ENOENT' ? `${store.filesOf(app).manifest} is missing` : `${store.filesOf(app).manifest} is unreadable (${e.message})`
      apps.push({ ...app, services: [], broken: `${why}; reinstall it, or uninstall ${app.name}` })
    }
  }
  ctx.data(apps, () => {
    if (apps.length === 0) return ['no apps installed (install one with: hypernet-host install app.wasm)']
    const lines: string[] = []
    for (const a of apps) {
      lines.push(
        `${a.name} ${a.version}${a.enabled ? '' : ' (disabled)'}${a.broken ? ' BROKEN' : ''}  code ${a.codeHash}  publisher ${a.publisher.slice(0, 16)}…`
      )
      if (a.broken) lines.push(`  ${a.broken}`)
      for (const s of a.services) lines.push(`  ${s.name.padEnd(12)} port ${String(s.port).padEnd(5)} ${s.hash}`)
    }
    return safeLines(lines)
  })
}
