import { formatId } from '../../encoding/ids.ts'
import { serviceHash } from '../../manifest/hashes.ts'
import { createAppStore } from '../../store/app-store.ts'
import type { InstalledApp } from '../../store/app-store.ts'
import type { CliContext } from '../context.ts'

/** Print installed apps. */
export async function list(ctx: CliContext): Promise<void> {
  const store = createAppStore({ dir: ctx.paths.store })
  await store.ready()
  const apps: Array<InstalledApp & { services: { name: string; port: number; protocol: string; hash: string }[] }> = []
  for (const app of await store.list()) {
    const m = await store.manifestOf(app)
    apps.push({ ...app, services: m.services.map((s) => ({ name: s.name, port: s.port, protocol: s.protocol, hash: formatId(serviceHash(app.codeHash, s.name)) })) })
  }
  ctx.data(apps, () => {
    if (apps.length === 0) return ['no apps installed (install one with: hypernet-host install app.wasm)']
    const lines: string[] = []
    for (const a of apps) {
      lines.push(`${a.name} ${a.version}${a.enabled ? '' : ' (disabled)'}  code ${a.codeHash}  publisher ${a.publisher.slice(0, 16)}…`)
      for (const s of a.services) lines.push(`  ${s.name.padEnd(12)} port ${String(s.port).padEnd(5)} ${s.hash}`)
    }
    return lines
  })
}
