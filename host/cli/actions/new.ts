import { existsSync, realpathSync } from 'node:fs'
import { delimiter, join, relative, resolve } from 'node:path'
import { keyPath } from '../../keys/index.ts'
import { createProject } from '../../scaffold/index.ts'
import type { CliContext } from '../context.ts'
import { checkOutputDir } from '../output-path.ts'

/** Scaffold a plugin project. @throws USAGE (bad name), FILE_EXISTS (non-empty folder), PATH_INVALID (no folder can be made there) */
export async function newProject(ctx: CliContext, args: { name: string; dir?: string; home?: string }): Promise<void> {
  const dir = resolve(args.dir ?? args.name)
  await checkOutputDir(dir, args.dir === undefined ? 'folder' : '--dir')
  const hn = hostCommand()
  const files = await createProject(dir, args.name, { hostCommand: hn })
  // the steps below run in this home: a --home given here must be given to them too (the
  // project's own files name no home)
  const here = args.home !== undefined ? `${hn} --home ${shellQuote(resolve(args.home))}` : hn
  ctx.data({ dir, files, hostCommand: hn }, () => [
    `created ${args.name} in ${dir}`,
    ...files.map((f) => `  ${relative(dir, f)}`),
    '',
    'next: build, sign with a development key and install here, in one step (--watch repeats it on every change):',
    `  cd ${shellQuote(dir)} && ${here} dev`,
    "or step by step (offline: the build uses this hypernet-host's AssemblyScript compiler):",
    `  cd ${shellQuote(dir)} && npm install && npm run build`,
    // sign needs a publisher key: without this step a fresh home stops at KEY_NOT_FOUND
    ...(existsSync(keyPath(ctx.paths.keys, 'publisher')) ? [] : [`  ${here} keys generate`]),
    `  ${here} sign build/${args.name}.wasm --manifest ${args.name}.draft.json`,
    `  ${here} install build/${args.name}.wasm`
  ])
}

/**
 * How to run this hypernet-host again from anywhere: `hypernet-host` when that name on PATH is
 * this very program, else the path of the running binary. Never `npx hypernet-host`, which
 * outside a project that depends on it would ask the npm registry for whatever has that name.
 */
export function hostCommand(argv1 = process.argv[1], path = process.env.PATH ?? ''): string {
  const self = real(argv1)
  if (self === null) return 'hypernet-host'
  for (const dir of path.split(delimiter)) {
    if (dir && real(join(dir, 'hypernet-host')) === self) return 'hypernet-host'
  }
  return shellQuote(self)
}

function real(file: string | undefined): string | null {
  if (!file) return null
  try {
    return realpathSync(file)
  } catch {
    return null
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}
