import { mkdirSync, statSync } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * `mkdir -p` that always ends. Node's own (`mkdir(dir, { recursive: true })`) spins forever,
 * at full CPU, under /proc or /sys: procfs answers ENOENT for a child it cannot hold, which
 * Node takes for a missing parent, makes the parent (EEXIST), and tries the child again
 * (nodejs/node: the same loop bun fixed in oven-sh/bun#40600). A `--home /proc/x` hung the CLI.
 * Here each missing level is made once, parent first; an error is the caller's, as mkdir's.
 */
export async function makeDirs(dir: string, mode?: number): Promise<void> {
  const missing: string[] = []
  for (let d = dir; ; d = dirname(d)) {
    if (await isPresent(d)) break
    missing.push(d)
    if (dirname(d) === d) break
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d, { mode })
    } catch (err) {
      // made meanwhile by another writer (two stores opening one home at once)
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}

/** makeDirs, synchronously (for a logger opening its file). */
export function makeDirsSync(dir: string, mode?: number): void {
  const missing: string[] = []
  for (let d = dir; ; d = dirname(d)) {
    if (isPresentSync(d)) break
    missing.push(d)
    if (dirname(d) === d) break
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}

async function isPresent(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

function isPresentSync(p: string): boolean {
  try {
    statSync(p)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}
