import { spawn } from 'node:child_process'
import { existsSync, watch } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { formatId, parseHash } from '../../encoding/ids.ts'
import { HypernetError } from '../../errors.ts'
import { keyPath, loadOrCreateKeyFile } from '../../keys/index.ts'
import { readDraftFile, serviceHash, signApp } from '../../manifest/index.ts'
import { createAppStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { install } from './install.ts'
import { hostCommand } from './new.ts'

/** The key `dev` signs with: made on first use, for this machine only. */
export const DEV_KEY_NAME = 'dev'

export interface DevArgs {
  dir?: string
  watch?: boolean
}

/**
 * `dev` in a project made by `new`: build (npm install first when the SDK is not linked yet),
 * sign with the development key `dev` (created if missing; no other host trusts it unless told
 * to), install into this home as `<version>-dev.<time>` so each rebuild is an upgrade, and print
 * how to reach it. With `watch`, do it again whenever assembly/ or the draft changes.
 * @throws USAGE (not a project), MANIFEST_NOT_JSON and MANIFEST_INVALID (the draft, named), BUILD_FAILED,
 *   and what sign and install throw
 */
export async function dev(ctx: CliContext, args: DevArgs): Promise<void> {
  const dir = resolve(args.dir ?? '.')
  await devOnce(ctx, dir)
  if (!args.watch) return
  ctx.io.stderr.write(`watching ${join(dir, 'assembly')} and the draft manifest; Ctrl-C to stop\n`)
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> = Promise.resolve()
  const again = (): void => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      running = running.then(() =>
        devOnce(ctx, dir).catch((err: Error) => {
          ctx.io.stderr.write(`${err.message}\n`)
        })
      )
    }, 200)
  }
  const watchers = [watch(join(dir, 'assembly'), { recursive: true }, again), watch(dir, (_e, f) => f && String(f).endsWith('.draft.json') && again())]
  await new Promise<void>((done) => process.once('SIGINT', done))
  for (const w of watchers) w.close()
  if (timer) clearTimeout(timer)
  await running
}

async function devOnce(ctx: CliContext, dir: string): Promise<void> {
  const pkgFile = join(dir, 'package.json')
  if (!existsSync(pkgFile)) throw HypernetError.USAGE(`${dir} is not an app project (no package.json): make one with new <name>`)
  const name = (await readPackage(pkgFile)).name ?? ''
  const draftFile = join(dir, `${name}.draft.json`)
  if (!existsSync(draftFile)) throw HypernetError.USAGE(`${dir} has no ${name}.draft.json: dev runs in a project made by new <name>`)
  // checked before the build, and read as sign reads it: an error names the file (and field)
  const draft = await readDraftFile(draftFile)

  const log = ctx.io.stderr
  if (!existsSync(join(dir, 'node_modules'))) await npm(dir, ['install', '--no-audit', '--no-fund'], log)
  await npm(dir, ['run', 'build'], log)
  const wasmFile = join(dir, 'build', `${name}.wasm`)
  if (!existsSync(wasmFile)) throw HypernetError.BUILD_FAILED(`npm run build made no build/${name}.wasm in ${dir}`)

  const keyPair = await loadOrCreateKeyFile(keyPath(ctx.paths.keys, DEV_KEY_NAME))
  const core = String(draft.app?.version ?? '0.0.0').split('-')[0]
  draft.app = { ...draft.app, version: `${core}-dev.${Date.now()}` }
  const { manifest, file } = await signApp({ wasmFile, draft, keyPair })
  ctx.io.stderr.write(
    `signed ${manifest.app.name} ${manifest.app.version} with the development key "${DEV_KEY_NAME}" (${manifest.publisher}): for testing; no other host trusts it\n`
  )

  // the build this replaces, if any: its service hashes stop reaching the app
  const store = createAppStore({ dir: ctx.paths.store })
  const before = (await store.list()).find((a) => a.name === manifest.app.name)
  await store.close()
  // running dev is the consent, and the line above says what it installs: no consent listing
  await install(ctx, { wasm: wasmFile, manifest: file, yes: true, unlisted: true })
  const hn = hostCommand()
  const code = parseHash(manifest.code.hash)
  const services = manifest.services.map((s) => formatId(serviceHash(code, s.name)))
  const changed = before !== undefined && before.codeHash !== formatId(code)
  ctx.data({ dev: true, app: manifest.app, publisher: manifest.publisher, services, serviceHashChanged: changed }, () => [
    ...(changed ? ["new service hash: it changes with every rebuild (the code hash is part of it); the last build's connect line no longer reaches it"] : []),
    'reach it (with a host running here: start, or start --local for a private network):',
    ...services.map((h) => `  ${hn} connect ${h}`)
  ])
}

/** The project's package.json. @throws USAGE naming the file when it is not a JSON object */
async function readPackage(file: string): Promise<{ name?: string }> {
  let pkg: unknown
  try {
    pkg = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw HypernetError.USAGE(`${file}: expected the project's package.json, ${(err as Error).message}`)
  }
  if (typeof pkg !== 'object' || pkg === null) throw HypernetError.USAGE(`${file}: expected the project's package.json, got no JSON object`)
  return pkg as { name?: string }
}

/** Run npm in the project, all its output going to `log` (our stderr). @throws BUILD_FAILED when it fails */
function npm(cwd: string, args: string[], log: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (d) => log.write(d))
    child.stderr.on('data', (d) => log.write(d))
    child.once('error', (err) => reject(HypernetError.BUILD_FAILED(`npm ${args[0]}: ${err.message}`)))
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(HypernetError.BUILD_FAILED(`npm ${args.join(' ')} failed (exit ${code}) in ${cwd}; its output is above`))
    )
  })
}
