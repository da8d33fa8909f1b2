import test from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
]

/** GitHub's heading anchors, near enough: lower case, punctuation dropped, spaces to dashes. */
function slug(h: string): string {
  return h
    .trim()
    .toLowerCase()
    .replace(/[`*]/g, '')
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-')
}

function anchors(file: string): Set<string> {
  return new Set([...readFileSync(join(ROOT, file), 'utf8').matchAll(/^#{1,6} (.*)$/gm)].map((m) => slug(m[1])))
}

test('the README stays a manual: at most 30 KB, and it links every page of docs/', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  assert.ok(readme.length <= 30 * 1024, `README.md is ${readme.length} bytes`)
  for (const f of FILES.filter((f) => f.startsWith('docs/') && f !== 'docs/bench-results.md')) assert.ok(readme.includes(`](${f})`), `README links ${f}`)
})

test('every local link in the README and docs/ points at a file and a heading that exist', () => {
  const bad: string[] = []
  for (const f of FILES) {
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      const url = m[1]
      if (/^[a-z]+:/.test(url)) continue
      const [path, anchor] = url.split('#')
      const target = path ? normalize(join(dirname(f), path)) : f
      if (!existsSync(join(ROOT, target))) bad.push(`${f}: ${url} (no such file)`)
      else if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) bad.push(`${f}: ${url} (no such heading)`)
    }
  }
  assert.deepEqual(bad, [])
})
