import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, posix, relative, sep } from 'node:path'
import test from 'node:test'
import { fileURLToPath } from 'node:url'

/**
 * The layering of host/ is a DAG and each subsystem folder has one door. Imports are read with a
 * regex (static `from '...'` and side-effect `import '...'`; a dynamic `import('...')`, the CLI's
 * lazy handlers, counts for doors but not for cycles, as it loads after both ends); the rules:
 * - no cycle between files;
 * - no cycle between folders (a folder is the first path segment under host/);
 * - from another folder, only `<folder>/index.ts` may be imported; the shared leaves below may be
 *   imported from anywhere, and import no folder themselves.
 */

const HOST = join(dirname(fileURLToPath(import.meta.url)), '..', 'host')

/** Files and folders any folder may import directly: leaves that depend on no subsystem. */
const SHARED = ['errors.ts', 'constants.ts', 'messages.ts', 'abi.ts', 'home.ts', 'util/', 'types/', 'encoding/']

type Graph = Map<string, string[]>

const IMPORT = /(?:\bfrom\s*|\bimport\s*)'(\.{1,2}\/[^']+)'/g
const DYNAMIC = /\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g

/** file (posix, relative to host/) -> the relative files it imports; with `dynamic`, lazy imports too. */
function importGraph(root: string, dynamic = false): Graph {
  const graph: Graph = new Map()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const file = relative(root, path).split(sep).join('/')
        const targets = new Set<string>()
        const text = readFileSync(path, 'utf8')
        for (const m of [...text.matchAll(IMPORT), ...(dynamic ? text.matchAll(DYNAMIC) : [])])
          targets.add(posix.normalize(posix.join(posix.dirname(file), m[1])))
        graph.set(file, [...targets])
      }
    }
  }
  walk(root)
  return graph
}

const isShared = (file: string) => SHARED.some((s) => (s.endsWith('/') ? file.startsWith(s) : file === s))

/** The subsystem folder of a file; null for a shared leaf or a file at the top (host/index.ts). */
function folderOf(file: string): string | null {
  if (isShared(file) || !file.includes('/')) return null
  return file.slice(0, file.indexOf('/'))
}

/** Every cycle (strongly connected component of more than one node, or a self loop), each as a path. */
function cycles(graph: Graph): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const visit = (v: string) => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.reverse())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return out
}

/** The folder graph: an edge per import that crosses folders (shared leaves are their own nodes). */
function folderGraph(graph: Graph): Graph {
  const node = (f: string) => folderOf(f) ?? f
  const edges = new Map<string, Set<string>>()
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const a = node(from)
      const b = node(to)
      if (a === b) continue
      if (!edges.has(a)) edges.set(a, new Set())
      edges.get(a)!.add(b)
    }
  }
  return new Map([...edges].map(([k, v]) => [k, [...v]]))
}

/** Imports into another folder's internals, and shared leaves that import a folder. */
function deepImports(graph: Graph): string[] {
  const bad: string[] = []
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const target = folderOf(to)
      if (isShared(from) && target !== null) bad.push(`${from} -> ${to} (a shared leaf imports a folder)`)
      else if (target !== null && target !== folderOf(from) && to !== `${target}/index.ts`) bad.push(`${from} -> ${to}`)
    }
  }
  return bad
}

/** Everything wrong with a graph, one line each: empty when the layering holds. */
function violations(graph: Graph, withLazy: Graph = graph): string[] {
  return [
    ...cycles(graph).map((c) => `file cycle: ${c.join(' -> ')}`),
    ...cycles(folderGraph(graph)).map((c) => `folder cycle: ${c.join(' -> ')}`),
    ...deepImports(withLazy).map((d) => `deep import: ${d}`)
  ]
}

test('host/ has no import cycle between files or folders, and no deep import into another folder', () => {
  const graph = importGraph(HOST)
  assert.ok(graph.size > 100, `read ${graph.size} files`)
  for (const [from, targets] of graph) for (const to of targets) assert.ok(graph.has(to), `${from} imports ${to}, which is not a file`)
  assert.deepEqual(violations(graph, importGraph(HOST, true)), [])
})

test('every subsystem folder under host/ has an index.ts door', () => {
  const folders = readdirSync(HOST).filter((n) => statSync(join(HOST, n)).isDirectory() && !isShared(`${n}/`))
  assert.ok(folders.length >= 15, folders.join(' '))
  assert.deepEqual(
    folders.filter((f) => !statSync(join(HOST, f, 'index.ts'), { throwIfNoEntry: false })),
    []
  )
})

test('the checker catches a file cycle, a folder cycle and a deep import in a synthetic graph', () => {
  const clean: Graph = new Map([
    ['index.ts', ['net/index.ts', 'dns/index.ts']],
    ['net/index.ts', ['net/dialer.ts']],
    ['net/dialer.ts', ['errors.ts', 'util/exists.ts', 'dns/index.ts']],
    ['dns/index.ts', ['dns/lookup.ts']],
    ['dns/lookup.ts', ['errors.ts', 'manifest/index.ts']],
    ['manifest/index.ts', []],
    ['errors.ts', []],
    ['util/exists.ts', ['errors.ts']]
  ])
  assert.deepEqual(violations(clean), [])

  const fileCycle = new Map(clean)
  fileCycle.set('dns/lookup.ts', ['errors.ts', 'dns/index.ts'])
  assert.deepEqual(violations(fileCycle), ['file cycle: dns/index.ts -> dns/lookup.ts'])

  // no file loops here: manifest/load.ts is not reached from manifest/index.ts
  const folderCycle = new Map(clean)
  folderCycle.set('manifest/load.ts', ['net/index.ts'])
  assert.deepEqual(violations(folderCycle), ['folder cycle: net -> dns -> manifest'])

  const deep = new Map(clean)
  deep.set('store/app-store.ts', ['errors.ts', 'net/dialer.ts'])
  deep.set('errors.ts', ['manifest/index.ts'])
  assert.deepEqual(violations(deep), [
    'deep import: errors.ts -> manifest/index.ts (a shared leaf imports a folder)',
    'deep import: store/app-store.ts -> net/dialer.ts'
  ])
})
