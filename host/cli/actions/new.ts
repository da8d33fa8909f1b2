import { relative, resolve } from 'node:path'
import { createProject } from '../../scaffold/index.ts'
import type { CliContext } from '../context.ts'

/** Scaffold a plugin project. @throws USAGE (bad name), FILE_EXISTS (non-empty folder) */
export async function newProject(ctx: CliContext, args: { name: string; dir?: string }): Promise<void> {
  const dir = resolve(args.dir ?? args.name)
  const files = await createProject(dir, args.name)
  ctx.data({ dir, files }, () => [
    `created ${args.name} in ${dir}`,
    ...files.map((f) => `  ${relative(dir, f)}`),
    '',
    'next:',
    `  cd ${dir} && npm install && npm run build`,
    `  npx hypernet-host sign build/${args.name}.wasm --manifest ${args.name}.draft.json`,
    `  npx hypernet-host install build/${args.name}.wasm`
  ])
}
