import type { AuditReport } from '../audit/index.ts'
import { safeLines } from './safe-text.ts'

/** The audit report for people: first line the verdict, then what the app is and asks for (every line escaped: it quotes the manifest). */
export function formatReport(r: AuditReport): string[] {
  const lines: string[] = []
  const name = r.app ? `${r.app.name} ${r.app.version}` : r.wasmFile
  lines.push(r.ok ? `ok: ${name} passed every check` : `FAILED: ${r.problem}`)
  if (r.app) lines.push(`app          ${name}${r.app.description ? ` - ${r.app.description}` : ''}`)
  if (r.codeHash) lines.push(`code hash    ${r.codeHash}`)
  if (r.publisher) lines.push(`publisher    ${r.publisher.key} (${r.publisher.trusted ? 'trusted' : 'not trusted'})`)
  if (r.expires !== undefined) lines.push(`expires      ${r.expires ?? 'never'}`)
  lines.push(...formatServices(r))
  lines.push(...formatPermissions(r))
  lines.push('checks')
  for (const c of r.checks) lines.push(`  ${c.ok ? (c.warning ? '!' : '✓') : '✗'} ${c.name.padEnd(10)} ${c.message}`)
  return safeLines(lines)
}

/** Services with their hashes, as shown by audit, install and list. */
export function formatServices(r: Pick<AuditReport, 'services'>): string[] {
  if (r.services.length === 0) return ['services     none']
  return safeLines(['services', ...r.services.map((s) => `  ${s.name.padEnd(12)} port ${String(s.port).padEnd(5)} ${s.protocol}  ${s.hash}`)])
}

/** Permissions in words; risky ones marked with "!". */
export function formatPermissions(r: Pick<AuditReport, 'permissions'>): string[] {
  return safeLines(['permissions', ...r.permissions.map((p) => `  ${p.risky ? '! ' : '- '}${p.words}${p.risky ? '  (risky)' : ''}`)])
}
