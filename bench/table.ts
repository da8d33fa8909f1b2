/**
 * One result row and the shared printer: a terminal table (hypernet figure, the raw HyperDHT
 * figure from the same run, their ratio, the target and whether it is met) and the JSON form.
 */

export type Target =
  | { kind: 'ratio-min'; value: number }
  | { kind: 'ratio-max'; value: number }
  | { kind: 'over-max'; value: number }
  | { kind: 'min'; value: number }
  | { kind: 'max'; value: number }
  | { kind: 'equal'; value: number }
  | { kind: 'none' }

export interface Row {
  /** "1a", "4b", ...: the row number and a letter. */
  id: string
  measure: string
  unit: string
  /** The project's figure (median of the rounds). */
  project: number
  /** The raw HyperDHT figure measured in the same run; null where nothing raw compares. */
  raw: number | null
  /** project / raw (the median of per-round ratios where rounds were paired); null without a raw figure. */
  ratio: number | null
  /** project - raw, likewise; null without a raw figure. */
  overhead: number | null
  target: Target
  /** Target text as printed. */
  targetText: string
  /** null when the row has no target. */
  met: boolean | null
  /** Rounds the median is over. */
  rounds: number
  /** One line of context (phases, spread, counts). */
  detail?: string
  /** Anything else worth keeping in --json. */
  extra?: Record<string, unknown>
}

export interface RowInput {
  id: string
  measure: string
  unit: string
  project: number
  raw?: number | null
  /** Median of per-round project/raw ratios, when the rounds were paired (default project/raw). */
  ratio?: number
  /** Median of per-round project-raw differences, likewise (default project-raw). */
  overhead?: number
  target: Target
  rounds: number
  detail?: string
  extra?: Record<string, unknown>
}

/** Build a row: ratio, target text and verdict from the figures. */
export function row(r: RowInput): Row {
  const raw = r.raw ?? null
  const ratio = raw === null ? null : (r.ratio ?? (raw !== 0 && Number.isFinite(raw) ? r.project / raw : null))
  const overhead = raw === null ? null : (r.overhead ?? r.project - raw)
  const { text, met } = judge(r.target, r.project, overhead, ratio, r.unit)
  return {
    id: r.id,
    measure: r.measure,
    unit: r.unit,
    project: r.project,
    raw,
    ratio,
    overhead,
    target: r.target,
    targetText: text,
    met,
    rounds: r.rounds,
    detail: r.detail,
    extra: r.extra
  }
}

function judge(t: Target, project: number, overhead: number | null, ratio: number | null, unit: string): { text: string; met: boolean | null } {
  const ok = (b: boolean) => (Number.isFinite(project) ? b : false)
  switch (t.kind) {
    case 'ratio-min':
      return { text: `>= ${t.value.toFixed(2)}x raw`, met: ratio === null ? null : ok(ratio >= t.value) }
    case 'ratio-max':
      return { text: `<= ${t.value}x raw`, met: ratio === null ? null : ok(ratio <= t.value) }
    case 'over-max':
      return { text: `<= raw + ${t.value} ${unit}`, met: overhead === null ? null : ok(overhead <= t.value) }
    case 'min':
      return { text: `>= ${t.value} ${unit}`, met: ok(project >= t.value) }
    case 'max':
      return { text: `<= ${t.value} ${unit}`, met: ok(project <= t.value) }
    case 'equal':
      return { text: `= ${t.value}`, met: ok(project === t.value) }
    case 'none':
      return { text: '(none set)', met: null }
  }
}

/** A figure with sensible precision. */
export function fmt(n: number | null, unit = ''): string {
  if (n === null) return '-'
  if (!Number.isFinite(n)) return 'n/a'
  const abs = Math.abs(n)
  const s = abs >= 100 || Number.isInteger(n) ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : abs >= 1 ? n.toFixed(2) : n.toFixed(3)
  return unit ? `${s} ${unit}` : s
}

/** Two decimals, three when two would hide which side of its target a ratio is on. */
function fmtRatio(r: Row): string {
  if (r.ratio === null) return '-'
  const t = r.target.kind === 'ratio-min' || r.target.kind === 'ratio-max' ? r.target.value : null
  return `${r.ratio.toFixed(t !== null && Math.abs(r.ratio - t) < 0.01 ? 3 : 2)}x`
}

const HEAD = ['#', 'measure', 'hypernet', 'raw HyperDHT', 'ratio', 'target', 'met']

/** The rows as table cells. */
export function cells(rows: Row[]): string[][] {
  return rows.map((r) => [
    r.id,
    r.measure,
    fmt(r.project, r.unit),
    fmt(r.raw, r.raw === null ? '' : r.unit),
    fmtRatio(r),
    r.targetText,
    r.met === null ? '-' : r.met ? 'yes' : 'NO'
  ])
}

/** A plain-text table for the terminal, details listed under it. */
export function formatTable(rows: Row[]): string {
  const body = cells(rows)
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)))
  const right = new Set([2, 3, 4])
  const line = (c: string[]) =>
    c
      .map((s, i) => (right.has(i) ? s.padStart(widths[i]) : s.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  const out = [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)]
  const notes = rows.filter((r) => r.detail)
  if (notes.length) out.push('', ...notes.map((r) => `${r.id.padEnd(3)} ${r.detail}`))
  return out.join('\n')
}

/** The same rows as a Markdown table (for bench/RESULTS.md and the README). */
export function formatMarkdown(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const out = [`| ${HEAD.join(' | ')} |`, `| ${HEAD.map((_, i) => ([2, 3, 4].includes(i) ? '---:' : '---')).join(' | ')} |`]
  for (const c of cells(rows)) out.push(`| ${c.map(esc).join(' | ')} |`)
  return out.join('\n')
}
