#!/usr/bin/env node
// The CLI is TypeScript run through tsx; register it before loading the entry point.
// Extism's WASI shim prints an ExperimentalWarning on import: keep the CLI's output clean.
const emitWarning = process.emitWarning
process.emitWarning = function (warning, ...args) {
  const type = typeof args[0] === 'string' ? args[0] : args[0]?.type
  if (type === 'ExperimentalWarning') return
  return emitWarning.call(process, warning, ...args)
}
// a reader that went away (`| head`) is not an error worth a stack trace
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
}
const { register } = await import('tsx/esm/api')
register()
const { runCli } = await import('../host/cli/main.ts')
process.exitCode = await runCli(process.argv.slice(2))
