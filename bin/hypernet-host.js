#!/usr/bin/env node
// Which code runs:
// - the package (no host/ folder beside bin/): the build, dist/cli.js, on Node alone;
// - a checkout: dist/cli.js when it is newer than every file under host/ (npm install, npm ci
//   and npm run build make it), else the TypeScript source through tsx (a development
//   dependency), so an edit takes effect without a rebuild.
import { existsSync, readdirSync, statSync } from 'node:fs'

// Extism's WASI shim prints an ExperimentalWarning on import: keep the CLI's output clean.
const emitWarning = process.emitWarning
process.emitWarning = function (warning, ...args) {
  const type = typeof args[0] === 'string' ? args[0] : args[0]?.type
  if (type === 'ExperimentalWarning') return
  return emitWarning.call(process, warning, ...args)
}
// A reader that went away (`| head`) is not an error worth a stack trace, and must not cut the
// command short: exiting here left an install half-run yet reported success. Later writes to
// that stream are dropped (as if written), so the command finishes its work and exits with its
// own code; long-running commands (logs --follow, connect) listen for this error to end early.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err
    stream.write = (_chunk, encoding, callback) => {
      const done = typeof encoding === 'function' ? encoding : callback
      if (done) process.nextTick(done)
      return true
    }
  })
}

const dist = new URL('../dist/cli.js', import.meta.url)
const source = new URL('../host/', import.meta.url)

/** Whether dist/cli.js is newer than every file under host/ (about 2 ms for ~200 files). */
function distIsFresh() {
  let built
  try {
    built = statSync(dist).mtimeMs
  } catch {
    return false
  }
  for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs >= built) return false
  }
  return true
}

let runCli
if (!existsSync(source) || distIsFresh()) {
  ;({ runCli } = await import(dist.href))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ runCli } = await import(new URL('main.ts', new URL('cli/', source)).href))
}
process.exitCode = await runCli(process.argv.slice(2))
