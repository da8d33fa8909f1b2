import { configKeys, readConfig, setKey, unsetKey, writeConfig } from '../../config/index.ts'
import { HypernetError } from '../../errors.ts'
import type { CliContext } from '../context.ts'

/**
 * `config show|set|unset`. `set` converts the value to the key's type and checks the whole file
 * against the schema before writing: a bad value writes nothing (exit 2, CONFIG_INVALID naming
 * the field). A running daemon reads the file when it starts: restart it to apply a change.
 * @throws USAGE (missing key or value), CONFIG_INVALID
 */
export async function config(ctx: CliContext, args: { action: 'show' | 'set' | 'unset'; key?: string; value?: string }): Promise<void> {
  const file = ctx.paths.config
  const current = await readConfig(file)
  if (args.action === 'show') {
    if (args.key !== undefined) throw HypernetError.USAGE('config show: takes no key (use --json for the whole file)')
    ctx.data(current, () => showLines(current, file))
    return
  }
  if (args.key === undefined) throw HypernetError.USAGE(`config ${args.action}: expected a key, got nothing (keys: ${[...configKeys().keys()].join(', ')})`)
  const key = args.key
  if (args.action === 'set') {
    if (args.value === undefined) throw HypernetError.USAGE(`config set ${args.key}: expected a value, got nothing (to remove it: config unset ${args.key})`)
    const next = setKey(current, args.key, args.value, file)
    await writeConfig(file, next)
    ctx.data({ file, config: next }, () => [`${args.key} = ${JSON.stringify(valueOf(next, key))}  (${file}; restart a running daemon to apply)`])
    return
  }
  if (args.value !== undefined) throw HypernetError.USAGE(`config unset ${args.key}: takes no value, got ${JSON.stringify(args.value)}`)
  const next = unsetKey(current, args.key, file)
  await writeConfig(file, next)
  ctx.data({ file, config: next }, () => [`${args.key} unset  (${file})`])
}

function valueOf(config: object, key: string): unknown {
  return key.split('.').reduce<any>((v, k) => (v == null ? undefined : v[k]), config)
}

function showLines(config: object, file: string): string[] {
  const lines = [`config ${file}`]
  let any = false
  for (const key of configKeys().keys()) {
    const v = valueOf(config, key)
    if (v === undefined) continue
    any = true
    lines.push(`  ${key.padEnd(28)} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
  }
  if (!any) lines.push('  (empty: every setting has its default)')
  return lines
}
